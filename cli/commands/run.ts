import { randomInt } from "node:crypto";
import { resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_TOPOLOGY_MODULE, importLauncher, type LaunchedTopology } from "../../chaos/engine/launch.js";
import { launchGroups } from "../../chaos/engine/launch-groups.js";
import {
  describeRecovery,
  recoveredAnything,
  recoverRunState,
  recoveryProblems,
} from "../../chaos/engine/recover.js";
import { runExperiments } from "../../chaos/engine/run.js";
import { openEngineRunStore } from "../../chaos/engine/run-store.js";
import { acquireLock, DEFAULT_STATE_DIR, runState } from "../../chaos/engine/state.js";
import { openTelemetry } from "../../chaos/engine/telemetry.js";
import { isExperimentError } from "../../chaos/experiment/errors.js";
import { loadExperiment } from "../../chaos/experiment/load.js";
import type { Experiment } from "../../chaos/experiment/types.js";
import { faultCatalog } from "../../chaos/faults/registry.js";
import { FileJournal } from "../../chaos/journal/write-ahead.js";
import type { RunEvidence } from "../../chaos/report/evidence.js";
import { writeReports } from "../../chaos/report/write.js";
import { PidRegistry } from "../../chaos/supervisor/pid-registry.js";
import type { ExperimentReport } from "../../chaos/timeline/record.js";
import { UsageError } from "../usage-error.js";
import { DEFAULT_DB } from "./collector.js";

interface RunFlags {
  junit?: string;
  report?: string;
  seed?: number;
  db?: string;
  topology: string;
  stateDir: string;
}

function seedFlag(text: string): number {
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
    throw new UsageError(`--seed: "${text}" is not an integer from 0 to 4294967295`);
  }
  return seed;
}

/** Every file is validated before anything starts; all their problems are reported at once (exit 2). */
function loadAll(paths: readonly string[]): Experiment[] {
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

function printReport(report: ExperimentReport): void {
  const line = `${report.status.toUpperCase().padEnd(7)} ${report.title} (${report.file})`;
  console.log(report.reason === null ? line : `${line}\n        ${report.reason}`);
}

/**
 * `shakedown run`: heals what a crashed earlier run left, starts the topology, runs every experiment and
 * its negative controls, writes the reports, stops the topology. Exit 0 all passed, 1 any did not, 2 bad
 * usage or an invalid experiment file.
 */
async function run(paths: string[], flags: RunFlags): Promise<void> {
  const experiments = loadAll(paths);
  const launch = await importLauncher(flags.topology).catch((error: Error) => {
    throw new UsageError(error.message);
  });
  const state = runState(flags.stateDir);
  const release = acquireLock(state, "shakedown run");
  const controller = new AbortController();
  const abort = (signal: NodeJS.Signals) => controller.abort(new Error(`interrupted by ${signal}`));
  process.once("SIGINT", abort);
  process.once("SIGTERM", abort);
  try {
    const recovery = await recoverRunState(state);
    for (const line of describeRecovery(recovery)) console.log(`recover: ${line}`);
    if (recoveryProblems(recovery) > 0) {
      throw new Error("an earlier run left faults or processes that could not be cleaned up; see above");
    }
    if (recovery.owned.length > 0) {
      throw new UsageError(
        `${state.dir} is in use by a running engine (shakedown up?); stop it or pass --state-dir`,
      );
    }
    if (recoveredAnything(recovery)) console.log("recover: the earlier run's leftovers are cleaned up");
    const seed = flags.seed ?? randomInt(2 ** 31);
    console.log(`seed ${seed} (replay the same picks with --seed ${seed})`);

    const reports: ExperimentReport[] = [];
    const evidence: Record<string, RunEvidence> = {};
    let collectorApiUrl: string | undefined;
    for (const group of launchGroups(experiments)) {
      if (controller.signal.aborted) break;
      const registry = new PidRegistry(state.pidsPath);
      const launched: LaunchedTopology = await launch({
        profile: group.profile,
        env: group.env,
        network: group.network,
        runDir: state.dir,
        registry,
        signal: controller.signal,
        databasePath: flags.db === undefined ? undefined : resolve(flags.db),
      });
      const journal = new FileJournal(state.journalPath);
      const databasePath = launched.databasePath ?? (flags.db === undefined ? DEFAULT_DB : resolve(flags.db));
      // Telemetry first: a database the run store is about to create holds no telemetry to ask.
      const telemetry = openTelemetry(databasePath);
      collectorApiUrl ??= launched.collectorApiUrl;
      const runStore = openEngineRunStore(databasePath, (line) => console.log(line));
      try {
        const outcome = await runExperiments(group.experiments, {
          topology: launched.topology,
          journal,
          telemetry: telemetry.telemetry,
          seed,
          signal: controller.signal,
          ...(launched.telemetryLagMillis === undefined
            ? {}
            : { telemetryLagMillis: launched.telemetryLagMillis }),
          ...(launched.history === undefined ? {} : { history: launched.history }),
          ...(runStore === undefined ? {} : { runStore }),
        });
        for (const report of outcome.reports) printReport(report);
        reports.push(...outcome.reports);
        Object.assign(evidence, outcome.evidence);
      } finally {
        runStore?.close();
        journal.close();
        telemetry.close();
        await launched.close();
      }
    }
    const written = writeReports(reports, {
      ...(flags.junit === undefined ? {} : { junitPath: flags.junit }),
      ...(flags.report === undefined ? {} : { reportDir: flags.report }),
      evidence,
      ...(collectorApiUrl === undefined ? {} : { collectorApiUrl }),
    });
    for (const path of written) console.log(`wrote ${path}`);
    const passed = reports.filter((report) => report.status === "passed").length;
    console.log(`${passed} of ${experiments.length} experiments passed`);
    process.exitCode = passed === experiments.length ? 0 : 1;
  } finally {
    process.off("SIGINT", abort);
    process.off("SIGTERM", abort);
    release();
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description(
      "run experiment files against a fresh topology; exit 0 all passed, 1 any failed, 2 bad usage",
    )
    .argument("<experiment...>", "experiment YAML files")
    .option("--junit <file>", "write JUnit XML here")
    .option("--report <dir>", "write journal.json, junit.xml and report.html here")
    .option("--seed <n>", "seed for random target picks (one, majority)", seedFlag)
    .option("--db <file>", `the collector's SQLite database (default: the topology's, else ${DEFAULT_DB})`)
    .option("--topology <module>", "module exporting launchTopology()", DEFAULT_TOPOLOGY_MODULE)
    .option("--state-dir <dir>", "where the journal and owned PIDs live, for recover", DEFAULT_STATE_DIR)
    .action(run);
}
