import type { Command } from "commander";
import { describeRecovery, recoverRunState, recoveryProblems } from "../../chaos/engine/recover.js";
import { acquireLock, DEFAULT_STATE_DIR, runState } from "../../chaos/engine/state.js";

/**
 * `shakedown recover`: heals the faults a crashed run left (resumes paused processes, clears in-process
 * faults, restores switches) and stops its orphan processes, matched by PID and kernel start time.
 * Exit 0 when nothing is left behind, 1 when something could not be cleaned up.
 */
async function recover(flags: { stateDir: string }): Promise<void> {
  const state = runState(flags.stateDir);
  const release = acquireLock(state, "shakedown recover");
  try {
    const report = await recoverRunState(state);
    const lines = describeRecovery(report);
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
    .description("heal what a crashed run left behind and stop its orphan processes")
    .option("--state-dir <dir>", "the run state directory", DEFAULT_STATE_DIR)
    .action(recover);
}
