import { randomInt } from "node:crypto";
import type { Experiment } from "../experiment/types.js";
import { FileJournal } from "../journal/write-ahead.js";
import type { RunEvidence } from "../report/evidence.js";
import { PidRegistry } from "../supervisor/pid-registry.js";
import type { ExperimentReport } from "../timeline/record.js";
import { StateInUseError } from "./errors.js";
import { importLauncher } from "./launch.js";
import { type LaunchGroup, launchGroups } from "./launch-groups.js";
import { describeRecovery, recoveredAnything, recoverRunState, recoveryProblems } from "./recover.js";
import { runExperiments } from "./run.js";
import { openEngineRunStore } from "./run-store.js";
import { acquireLock, runState } from "./state.js";
import { openTelemetry } from "./telemetry.js";

export interface SessionOptions {
  /** Who holds the engine lock (`shakedown run`, `shakedown gate`), named to whoever is refused it. */
  readonly command: string;
  /** The topology module (`launchTopology`), e.g. the shop's. */
  readonly topologyModule: string;
  /** Where the journal, the owned PIDs and the lock live (`--state-dir`). */
  readonly stateDir: string;
  /** Seeds random target picks; a random one when absent. */
  readonly seed?: number;
  /** Where the topology's collector writes (`--db`); the launcher picks one when absent. */
  readonly databasePath?: string;
  /** The telemetry read when neither the launch nor `databasePath` names a database. */
  readonly defaultDatabasePath: string;
  readonly signal: AbortSignal;
  /** Progress: what recover did, the seed, each launch. */
  readonly log: (line: string) => void;
  /** Called as each experiment ends, before the next one starts. */
  readonly onReport?: (report: ExperimentReport) => void;
}

/** One launched topology and how long it took to come up. */
export interface LaunchRecord {
  readonly group: LaunchGroup;
  readonly launchMillis: number;
}

export interface SessionOutcome {
  readonly seed: number;
  /** In the order the experiments ran (launch group by launch group). */
  readonly reports: readonly ExperimentReport[];
  readonly evidence: Readonly<Record<string, RunEvidence>>;
  readonly collectorApiUrl?: string;
  readonly launches: readonly LaunchRecord[];
}

/**
 * What `shakedown run` and `shakedown gate` share: takes the run state (heals what a crashed earlier run left,
 * refuses while another engine owns it), then for each launch group starts a fresh topology, runs its
 * experiments and their negative controls, and stops it. Reports are the caller's to write.
 */
export async function runSession(
  experiments: readonly Experiment[],
  options: SessionOptions,
): Promise<SessionOutcome> {
  const launch = await importLauncher(options.topologyModule);
  const state = runState(options.stateDir);
  const release = acquireLock(state, options.command);
  try {
    const recovery = await recoverRunState(state);
    for (const line of describeRecovery(recovery)) options.log(`recover: ${line}`);
    if (recoveryProblems(recovery) > 0) {
      throw new Error("an earlier run left faults or processes that could not be cleaned up; see above");
    }
    if (recovery.owned.length > 0) throw new StateInUseError(state.dir);
    if (recoveredAnything(recovery)) options.log("recover: the earlier run's leftovers are cleaned up");
    const seed = options.seed ?? randomInt(2 ** 31);
    options.log(`seed ${seed} (replay the same picks with --seed ${seed})`);

    const reports: ExperimentReport[] = [];
    const evidence: Record<string, RunEvidence> = {};
    const launches: LaunchRecord[] = [];
    let collectorApiUrl: string | undefined;
    for (const group of launchGroups(experiments)) {
      if (options.signal.aborted) break;
      const started = performance.now();
      const launched = await launch({
        profile: group.profile,
        env: group.env,
        network: group.network,
        runDir: state.dir,
        registry: new PidRegistry(state.pidsPath),
        signal: options.signal,
        ...(options.databasePath === undefined ? {} : { databasePath: options.databasePath }),
      });
      const launchMillis = performance.now() - started;
      launches.push({ group, launchMillis });
      options.log(
        `topology ${group.profile}${group.network === "loopback" ? "" : ` (${group.network})`} up in ` +
          `${(launchMillis / 1000).toFixed(1)} s for ${group.experiments.length} experiment(s)`,
      );
      const journal = new FileJournal(state.journalPath);
      const databasePath = launched.databasePath ?? options.databasePath ?? options.defaultDatabasePath;
      // Telemetry first: a database the run store is about to create holds no telemetry to ask.
      const telemetry = openTelemetry(databasePath);
      collectorApiUrl ??= launched.collectorApiUrl;
      const runStore = openEngineRunStore(databasePath, options.log);
      try {
        const outcome = await runExperiments(group.experiments, {
          topology: launched.topology,
          journal,
          telemetry: telemetry.telemetry,
          seed,
          signal: options.signal,
          ...(launched.telemetryLagMillis === undefined
            ? {}
            : { telemetryLagMillis: launched.telemetryLagMillis }),
          ...(launched.history === undefined ? {} : { history: launched.history }),
          ...(options.onReport === undefined ? {} : { onReport: options.onReport }),
          ...(runStore === undefined ? {} : { runStore }),
        });
        reports.push(...outcome.reports);
        Object.assign(evidence, outcome.evidence);
      } finally {
        runStore?.close();
        journal.close();
        telemetry.close();
        await launched.close();
      }
    }
    return {
      seed,
      reports,
      evidence,
      launches,
      ...(collectorApiUrl === undefined ? {} : { collectorApiUrl }),
    };
  } finally {
    release();
  }
}
