import { resolve } from "node:path";
import type { Command } from "commander";
import { isEngineError } from "../../chaos/engine/errors.js";
import { DEFAULT_TOPOLOGY_MODULE } from "../../chaos/engine/launch.js";
import { runSession, type SessionOutcome } from "../../chaos/engine/session.js";
import { DEFAULT_STATE_DIR } from "../../chaos/engine/state.js";
import { isExperimentError } from "../../chaos/experiment/errors.js";
import { loadExperiment } from "../../chaos/experiment/load.js";
import type { Experiment } from "../../chaos/experiment/types.js";
import { faultCatalog } from "../../chaos/faults/registry.js";
import type { ExperimentReport } from "../../chaos/timeline/record.js";
import { UsageError } from "../usage-error.js";
import { DEFAULT_DB } from "./collector.js";

/** The flags `shakedown run` and `shakedown gate` share: how to launch, where state lives, the seed. */
export interface SessionFlags {
  seed?: number;
  db?: string;
  topology: string;
  stateDir: string;
  parallel: number;
}

function seedFlag(text: string): number {
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
    throw new UsageError(`--seed: "${text}" is not an integer from 0 to 4294967295`);
  }
  return seed;
}

function parallelFlag(text: string): number {
  const parallel = Number(text);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 8) {
    throw new UsageError(`--parallel: "${text}" is not an integer from 1 to 8`);
  }
  return parallel;
}

export function addSessionFlags(command: Command): Command {
  return command
    .option("--seed <n>", "seed for random target picks (one, majority)", seedFlag)
    .option("--db <file>", `the collector's SQLite database (default: the topology's, else ${DEFAULT_DB})`)
    .option("--topology <module>", "module exporting launchTopology()", DEFAULT_TOPOLOGY_MODULE)
    .option("--state-dir <dir>", "where the journal and owned PIDs live, for recover", DEFAULT_STATE_DIR)
    .option(
      "--parallel <n>",
      "launch groups (experiments sharing one topology) run at once, each on its own topology",
      parallelFlag,
      1,
    );
}

/** Every file is validated before anything starts; all their problems are reported at once (exit 2). */
export function loadExperiments(paths: readonly string[]): Experiment[] {
  const faults = faultCatalog();
  const problems: string[] = [];
  const experiments: Experiment[] = [];
  for (const path of paths) {
    try {
      experiments.push(loadExperiment(path, { faults }));
    } catch (error) {
      if (!isExperimentError(error)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0) throw new UsageError(`invalid experiment:\n${problems.join("\n")}`);
  return experiments;
}

/**
 * Runs the experiments as `runSession` does, with Ctrl-C (SIGINT, SIGTERM) ending the run as aborted after
 * healing, progress on stdout, and a topology module or state directory that cannot be used as bad usage.
 */
export async function runFromCli(
  command: string,
  experiments: readonly Experiment[],
  flags: SessionFlags,
  onReport: (report: ExperimentReport) => void,
): Promise<SessionOutcome> {
  const controller = new AbortController();
  const abort = (signal: NodeJS.Signals) => controller.abort(new Error(`interrupted by ${signal}`));
  process.once("SIGINT", abort);
  process.once("SIGTERM", abort);
  try {
    return await runSession(experiments, {
      command,
      topologyModule: flags.topology,
      stateDir: flags.stateDir,
      signal: controller.signal,
      defaultDatabasePath: DEFAULT_DB,
      log: (line) => console.log(line),
      onReport,
      parallel: flags.parallel,
      ...(flags.seed === undefined ? {} : { seed: flags.seed }),
      ...(flags.db === undefined ? {} : { databasePath: resolve(flags.db) }),
    });
  } catch (error) {
    if (
      isEngineError(error) &&
      (error.code === "SHAKEDOWN_ENGINE_NO_LAUNCHER" || error.code === "SHAKEDOWN_ENGINE_STATE_IN_USE")
    ) {
      throw new UsageError(error.message);
    }
    throw error;
  } finally {
    process.off("SIGINT", abort);
    process.off("SIGTERM", abort);
  }
}

/**
 * Ends the process once stdout has drained when a topology did not stop in time: its open handles would
 * otherwise keep a finished run or gate waiting forever.
 */
export function exitIfStuck(outcome: SessionOutcome): void {
  if (!outcome.stuck) return;
  process.stdout.write("", () => process.exit(process.exitCode ?? 1));
}
