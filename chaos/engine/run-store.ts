import { existsSync } from "node:fs";
import {
  type Outcome,
  openRunStore,
  type RunOwner,
  type RunStore,
  type FaultWindow as StoredFaultWindow,
} from "../../collector/store/runs.js";
import type { MeasurementOutcome } from "../experiment/evaluate.js";
import type { RunEvidence } from "../report/evidence.js";
import { processStartTicks, stillRunning } from "../supervisor/pid-registry.js";
import type { RunObserver } from "../timeline/observer.js";
import type { FaultWindow, RunRecord } from "../timeline/record.js";
import { controlVerdict } from "../timeline/runner.js";

function storedFault(window: FaultWindow): StoredFaultWindow {
  const verification = window.verification;
  return {
    id: window.id,
    fault: window.fault,
    target: window.target,
    config: window.config,
    scheduledAtMs: window.scheduledAtMillis,
    injectedAtMs: window.injectedAtMillis,
    verifiedAtMs: window.verifiedAtMillis,
    healedAtMs: window.healedAtMillis,
    verification: verification?.evidence ?? null,
    error:
      window.error ??
      (verification !== null && !verification.tookEffect
        ? `did not take effect: ${verification.evidence}`
        : null),
  };
}

function storedOutcome(outcome: MeasurementOutcome): Outcome {
  return {
    name: outcome.name,
    kind: outcome.kind,
    description: outcome.description,
    windowLabel: outcome.windowLabel,
    window:
      outcome.window === null
        ? null
        : { startMs: outcome.window.startMillis, endMs: outcome.window.endMillis },
    valid: outcome.valid,
    measured: outcome.measured,
    unit: outcome.unit,
    bar: outcome.bar,
    reason: outcome.reason,
    traceIds: outcome.traceIds,
  };
}

/**
 * Writes runs into the collector's database as they happen, through `store`. A write that fails never reaches
 * the run (the run's report and journal stay whole): the first failure is reported through `warn`, the rest
 * are counted in `failures`.
 */
export class StoringObserver implements RunObserver {
  failures = 0;

  constructor(
    private readonly store: RunStore,
    /** The ground truth of a finished run (the flood's series and failing requests), when it had load. */
    private readonly evidenceOf: (run: RunRecord) => RunEvidence | null,
    private readonly warn: (message: string) => void = (message) => console.error(message),
  ) {}

  private write(what: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      if (this.failures++ === 0) {
        this.warn(
          `run store: could not write ${what}: ${error instanceof Error ? error.message : String(error)}` +
            " (the reports are unaffected; later failures are not shown)",
        );
      }
    }
  }

  runStarted: RunObserver["runStarted"] = (run) =>
    this.write(`the start of run ${run.runId}`, () =>
      this.store.start({
        runId: run.runId,
        groupId: run.groupId,
        title: run.title,
        file: run.file,
        description: run.description,
        control: run.control,
        startMs: run.startedAtMillis,
        faults: run.faults.map(storedFault),
      }),
    );

  phaseStarted: RunObserver["phaseStarted"] = (runId, phase, timeMillis) =>
    this.write(`phase ${phase} of run ${runId}`, () => this.store.phaseStarted(runId, phase, timeMillis));

  phaseEnded: RunObserver["phaseEnded"] = (runId, phase, timeMillis) =>
    this.write(`phase ${phase} of run ${runId}`, () => this.store.phaseEnded(runId, phase, timeMillis));

  faultChanged: RunObserver["faultChanged"] = (runId, window) =>
    this.write(`fault ${window.id} of run ${runId}`, () => this.store.fault(runId, storedFault(window)));

  runEnded: RunObserver["runEnded"] = (record) =>
    this.write(`the end of run ${record.runId}`, () => {
      const evidence = this.evidenceOf(record);
      this.store.finish({
        runId: record.runId,
        status: record.status,
        verdict: record.control === null ? null : controlVerdict(record.status),
        reason: record.reason,
        endMs: record.endedAtMillis,
        methodStartMs: record.methodStartedAtMillis,
        methodEndMs: record.methodEndedAtMillis,
        faults: record.faults.map(storedFault),
        assertions: record.assertions.map(storedOutcome),
        steadyState: {
          before: record.steadyState.before.map(storedOutcome),
          after: record.steadyState.after.map(storedOutcome),
        },
        series: (evidence?.series ?? []).map((series) => ({
          name: series.name,
          unit: series.unit,
          points: series.points.map((point) => ({ t: point.timeMillis, v: point.value })),
        })),
        failingRequests: (evidence?.failingRequests ?? []).map((request) => ({
          timeMs: request.timeMillis,
          status: request.status,
          latencyMs: request.latencyMillis ?? null,
          traceId: request.traceId ?? null,
        })),
      });
    });

  controlSkipped: RunObserver["controlSkipped"] = (run) =>
    this.write(`the skipped control ${run.control.name}`, () =>
      this.store.skipped({
        runId: run.runId,
        groupId: run.groupId,
        title: run.title,
        file: run.file,
        description: run.description,
        control: run.control,
        timeMs: run.timeMillis,
        reason: run.reason,
      }),
    );
}

/** This process as the owner of the runs it writes, so `recover` can tell when it is gone. */
function thisEngine(): RunOwner | undefined {
  const startTicks = processStartTicks(process.pid);
  return startTicks === null ? undefined : { pid: process.pid, startTicks };
}

/**
 * The run store of the collector's database at `path` (created if need be), owned by this engine, after
 * marking what dead engines left running there as aborted. A database that cannot be opened gives no store and
 * a warning: the experiments still run and report.
 */
export function openEngineRunStore(path: string, log: (line: string) => void): RunStore | undefined {
  try {
    for (const line of abortOrphanedRuns([path], Date.now())) log(`recover: ${line}`);
    const owner = thisEngine();
    return openRunStore(path, owner === undefined ? {} : { owner });
  } catch (error) {
    log(
      `run store: cannot open ${path}, runs will not be stored for the dashboards: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

/**
 * Marks the runs a dead engine left "running" in each existing database as aborted; returns one line per run
 * marked. Engines still alive (another `shakedown run`, a `shakedown demo`) keep theirs.
 */
export function abortOrphanedRuns(paths: readonly string[], nowMillis: number): string[] {
  const lines: string[] = [];
  for (const path of new Set(paths)) {
    if (!existsSync(path)) continue;
    const store = openRunStore(path);
    try {
      const alive = (owner: RunOwner) => stillRunning({ name: "engine", ...owner });
      for (const runId of store.abortOrphans(alive, nowMillis)) {
        lines.push(`marked run ${runId} in ${path} aborted: its engine is gone`);
      }
    } finally {
      store.close();
    }
  }
  return lines;
}
