import { randomInt } from "node:crypto";
import { setMaxListeners } from "node:events";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Experiment } from "../experiment/types.js";
import { FileJournal } from "../journal/write-ahead.js";
import type { RunEvidence } from "../report/evidence.js";
import { PidRegistry } from "../supervisor/pid-registry.js";
import type { ExperimentReport } from "../timeline/record.js";
import { StateInUseError } from "./errors.js";
import { importLauncher, type LaunchedTopology, type LaunchTopology } from "./launch.js";
import { type LaunchGroup, launchGroups, scheduleGroups } from "./launch-groups.js";
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
  /** How long stopping a topology may take before the session stops waiting for it (default 90 s). */
  readonly closeTimeoutMillis?: number;
  /**
   * How many launch groups run at once, each on its own topology (default 1). With `databasePath` every
   * collector would write the same file, so the groups then run one at a time.
   */
  readonly parallel?: number;
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
  /** A topology did not stop in time: its handles may keep the process alive, so the command should exit. */
  readonly stuck: boolean;
  /** Each topology that did not stop in time, with what it was still waiting for at the deadline. */
  readonly unstopped: readonly UnstoppedTopology[];
}

/** A topology whose close had not finished by `closeTimeoutMillis`, as it stood at that moment. */
export interface UnstoppedTopology {
  readonly profile: string;
  /** The launch group's experiment files. */
  readonly experiments: readonly string[];
  /** The parts of its close that had not settled, as the topology names them (`pendingClose`). */
  readonly unsettled: readonly string[];
  /** Its nodes whose process had not exited. */
  readonly running: readonly { readonly name: string; readonly pid: number }[];
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

    const parallel = options.databasePath === undefined ? Math.max(1, options.parallel ?? 1) : 1;
    if (parallel < (options.parallel ?? 1))
      options.log("one --db for every topology: groups run one at a time");
    // Groups that need the engine to themselves run first, one at a time; then the rest, `parallel` at once.
    const { alone, together } =
      parallel > 1
        ? scheduleGroups(launchGroups(experiments))
        : { alone: launchGroups(experiments), together: [] };
    const groups = [...alone, ...together];
    const journal = new FileJournal(state.journalPath);
    // One registry for every group: its appends are synchronous, so concurrent groups never tear a line.
    const registry = new PidRegistry(state.pidsPath);
    const failed = new AbortController();
    const signal = AbortSignal.any([options.signal, failed.signal]);
    // Every step of every concurrent run listens on it for as long as the step lasts.
    setMaxListeners(100, signal);
    const results: (GroupOutcome | undefined)[] = [];
    let firstError: unknown;
    const unstopped: UnstoppedTopology[] = [];
    let next = 0;
    const worker = async (end: number) => {
      while (next < end && !signal.aborted) {
        const index = next++;
        const group = groups[index] as LaunchGroup;
        // Concurrent groups keep their nodes' files apart; their PIDs and journal records stay together.
        const runDir = parallel > 1 ? join(state.dir, "groups", String(index + 1)) : state.dir;
        try {
          results[index] = await runGroup(group, {
            ...options,
            launch,
            signal,
            seed,
            journal,
            registry,
            runDir,
            unstopped,
          });
        } catch (error) {
          firstError ??= error;
          failed.abort(new Error(`another launch group failed: ${describeError(error)}`));
        }
      }
    };
    try {
      await worker(alone.length);
      await Promise.all(
        Array.from({ length: Math.min(parallel, together.length) }, () => worker(groups.length)),
      );
    } finally {
      journal.close();
    }
    if (firstError !== undefined) throw firstError;
    const done = results.filter((result): result is GroupOutcome => result !== undefined);
    const collectorApiUrl = done.find((result) => result.collectorApiUrl !== undefined)?.collectorApiUrl;
    return {
      seed,
      reports: done.flatMap((result) => result.reports),
      evidence: Object.assign({}, ...done.map((result) => result.evidence)),
      launches: done.map((result) => result.launch),
      stuck: unstopped.length > 0,
      unstopped,
      ...(collectorApiUrl === undefined ? {} : { collectorApiUrl }),
    };
  } finally {
    release();
  }
}

interface GroupOutcome {
  readonly launch: LaunchRecord;
  readonly reports: readonly ExperimentReport[];
  readonly evidence: Readonly<Record<string, RunEvidence>>;
  readonly collectorApiUrl?: string;
}

/** Longer than any node's own stop timeout (Kafka's is 30 s), with room for the collector to drain. */
const DEFAULT_CLOSE_TIMEOUT_MILLIS = 90_000;

interface GroupContext extends SessionOptions {
  readonly launch: LaunchTopology;
  readonly unstopped: UnstoppedTopology[];
  readonly seed: number;
  readonly journal: FileJournal;
  readonly registry: PidRegistry;
  readonly runDir: string;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Starts a fresh topology for one launch group, runs its experiments and their controls, and stops it. */
async function runGroup(group: LaunchGroup, context: GroupContext): Promise<GroupOutcome> {
  const started = performance.now();
  const launched = await context.launch({
    profile: group.profile,
    env: group.env,
    network: group.network,
    runDir: context.runDir,
    registry: context.registry,
    signal: context.signal,
    ...(context.databasePath === undefined ? {} : { databasePath: context.databasePath }),
  });
  const launchMillis = performance.now() - started;
  context.log(
    `topology ${group.profile}${group.network === "loopback" ? "" : ` (${group.network})`} up in ` +
      `${(launchMillis / 1000).toFixed(1)} s for ${group.experiments.length} experiment(s)`,
  );
  const databasePath = launched.databasePath ?? context.databasePath ?? context.defaultDatabasePath;
  // Telemetry first: a database the run store is about to create holds no telemetry to ask.
  const telemetry = openTelemetry(databasePath);
  const runStore = openEngineRunStore(databasePath, context.log);
  const flushTelemetry = launched.flushTelemetry?.bind(launched);
  try {
    const outcome = await runExperiments(group.experiments, {
      topology: launched.topology,
      journal: context.journal,
      telemetry: telemetry.telemetry,
      seed: context.seed,
      signal: context.signal,
      ...(launched.telemetryLagMillis === undefined
        ? {}
        : { telemetryLagMillis: launched.telemetryLagMillis }),
      ...(flushTelemetry === undefined ? {} : { flushTelemetry }),
      ...(launched.history === undefined ? {} : { history: launched.history }),
      ...(context.onReport === undefined ? {} : { onReport: context.onReport }),
      ...(runStore === undefined ? {} : { runStore }),
    });
    return {
      launch: { group, launchMillis },
      reports: outcome.reports,
      evidence: outcome.evidence,
      ...(launched.collectorApiUrl === undefined ? {} : { collectorApiUrl: launched.collectorApiUrl }),
    };
  } finally {
    runStore?.close();
    telemetry.close();
    await closeWithin(launched, group, context);
  }
}

/**
 * Stops a topology, but gives up waiting after `closeTimeoutMillis`: a teardown that never ends must not keep
 * a gate in CI running until its job is killed. What it left is in the PID registry and the journal, for
 * `recover`; `unstopped` names what it was waiting for and tells the command to exit rather than wait for
 * the topology's open handles.
 */
async function closeWithin(
  launched: LaunchedTopology,
  group: LaunchGroup,
  context: GroupContext,
): Promise<void> {
  const limitMillis = context.closeTimeoutMillis ?? DEFAULT_CLOSE_TIMEOUT_MILLIS;
  const timer = new AbortController();
  const closed = launched.close().then(() => "closed" as const);
  const timedOut = sleep(limitMillis, "timeout" as const, { signal: timer.signal }).catch(
    () => "closed" as const,
  );
  try {
    if ((await Promise.race([closed, timedOut])) === "timeout") {
      const unstopped = unstoppedNow(launched, group);
      context.unstopped.push(unstopped);
      context.log(describeUnstopped(unstopped, limitMillis));
    }
  } finally {
    timer.abort();
  }
}

function unstoppedNow(launched: LaunchedTopology, group: LaunchGroup): UnstoppedTopology {
  return {
    profile: group.profile,
    experiments: group.experiments.map((experiment) => experiment.file),
    unsettled: [...(launched.pendingClose?.() ?? [])],
    running: launched.topology
      .statuses()
      .filter((node) => node.state === "starting" || node.state === "healthy")
      .map(({ name, pid }) => ({ name, pid })),
  };
}

/** One line for the log, naming what held the close up, so a CI log points at the culprit. */
function describeUnstopped(unstopped: UnstoppedTopology, limitMillis: number): string {
  const unsettled =
    unstopped.unsettled.length === 0
      ? "the topology names no part of its close as pending"
      : `not settled: ${unstopped.unsettled.join("; ")}`;
  const running =
    unstopped.running.length === 0
      ? "no node still running"
      : `still running: ${unstopped.running.map((node) => `${node.name} (pid ${node.pid})`).join(", ")}`;
  return (
    `the topology did not stop within ${limitMillis / 1000} s (${unstopped.profile}: ` +
    `${unstopped.experiments.join(", ")}); ${unsettled}; ${running}; ` +
    "`shakedown recover` stops what it left behind"
  );
}
