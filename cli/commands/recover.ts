import { join, resolve } from "node:path";
import type { Command } from "commander";
import { describeRecovery, recoverRunState, recoveryProblems } from "../../chaos/engine/recover.js";
import { abortOrphanedRuns } from "../../chaos/engine/run-store.js";
import { acquireLock, DEFAULT_STATE_DIR, runState } from "../../chaos/engine/state.js";
import { DEFAULT_DB } from "./collector.js";

/**
 * `shakedown recover`: heals the faults a crashed run left (resumes paused processes, clears in-process
 * faults, restores switches) and stops its orphan processes, matched by PID and kernel start time; marks the
 * runs it left "running" in the collector's database as aborted. Exit 0 when nothing is left behind, 1 when
 * something could not be cleaned up.
 */
async function recover(flags: { stateDir: string; db?: string }): Promise<void> {
  const state = runState(flags.stateDir);
  const release = acquireLock(state, "shakedown recover");
  try {
    const report = await recoverRunState(state);
    // Where `shakedown run` writes by default: the shop's database in the state directory, or the collector's.
    const databases =
      flags.db === undefined ? [join(state.dir, "shakedown.db"), resolve(DEFAULT_DB)] : [resolve(flags.db)];
    const lines = [...describeRecovery(report), ...abortOrphanedRuns(databases, Date.now())];
    for (const line of lines) console.log(line);
    if (lines.length === 0) console.log(`nothing to recover in ${state.dir}`);
    process.exitCode = recoveryProblems(report) > 0 ? 1 : 0;
  } finally {
    release();
  }
}

export function registerRecoverCommand(program: Command): void {
  program
    .command("recover")
    .description("heal what a crashed run left behind, stop its orphan processes, mark its runs aborted")
    .option("--state-dir <dir>", "the run state directory", DEFAULT_STATE_DIR)
    .option(
      "--db <file>",
      `the collector's SQLite database whose unfinished runs to mark (default: <state-dir>/shakedown.db and ${DEFAULT_DB})`,
    )
    .action(recover);
}
