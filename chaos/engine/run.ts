import type { RunStore } from "../../collector/store/runs.js";
import type { Telemetry } from "../experiment/telemetry.js";
import type { Experiment } from "../experiment/types.js";
import type { FaultFactory } from "../faults/context.js";
import { type FaultContext, seededRandom, type Topology } from "../faults/context.js";
import { createFaults, FAULT_FACTORIES } from "../faults/registry.js";
import type { Journal } from "../journal/write-ahead.js";
import { loadDrivers } from "../load/drivers.js";
import { FloodDriver } from "../load/flood.js";
import { K6Driver } from "../load/k6.js";
import { evidenceFromRequests, type RunEvidence } from "../report/evidence.js";
import { systemClock } from "../timeline/clock.js";
import type { Engine, HistorySource } from "../timeline/engine.js";
import type { ExperimentReport, RunRecord } from "../timeline/record.js";
import { runExperiment } from "../timeline/runner.js";
import { floodHistory, recordsWithin, requestOutcome } from "./history.js";
import { httpProber } from "./http-prober.js";
import { StoringObserver } from "./run-store.js";
import { serviceResolver, serviceUrls } from "./services.js";
import { agentSwitches } from "./switches.js";

export interface RunOptions {
  readonly topology: Topology;
  readonly journal: Journal;
  readonly telemetry: Telemetry;
  /** Seeds "one random" and "majority" picks; the same seed picks the same nodes again. */
  readonly seed: number;
  readonly signal?: AbortSignal;
  readonly telemetryLagMillis?: number;
  readonly flushTelemetry?: () => Promise<void>;
  readonly stepTimeoutMillis?: number;
  /** Ground truth beyond the flood's records (the ledger's effects). */
  readonly history?: HistorySource;
  /** The fault kinds; default every registered one. */
  readonly faults?: readonly FaultFactory[];
  readonly k6Binary?: string;
  /** Where runs are written live for the dashboards: the collector's database. */
  readonly runStore?: RunStore;
  /** Called as each experiment ends, before the next one starts. */
  readonly onReport?: (report: ExperimentReport) => void;
}

export interface RunOutcome {
  readonly reports: readonly ExperimentReport[];
  /** Per run id: charts and failing requests from the flood's records, for the HTML report. */
  readonly evidence: Readonly<Record<string, RunEvidence>>;
}

function evidenceOf(run: RunRecord, flood: FloodDriver): RunEvidence | null {
  if (run.methodStartedAtMillis === null) return null;
  const records = recordsWithin(
    flood.records(),
    run.methodStartedAtMillis,
    run.methodEndedAtMillis ?? run.endedAtMillis,
  );
  return records.length === 0 ? null : evidenceFromRequests(records.map(requestOutcome));
}

/**
 * Runs experiments, one after another, against a running topology: faults act on its nodes through the
 * given Supervisor, load and probes go to its nodes' `http` ports, negative controls flip switches through
 * its agents. Every fault is journaled before it is injected and healed in `finally`.
 */
export async function runExperiments(
  experiments: readonly Experiment[],
  options: RunOptions,
): Promise<RunOutcome> {
  const context: FaultContext = { topology: options.topology, random: seededRandom(options.seed) };
  const resolve = serviceResolver(options.topology);
  const flood = new FloodDriver({ baseUrl: resolve });
  const k6 = new K6Driver({
    serviceUrls: () => serviceUrls(options.topology),
    ...(options.k6Binary === undefined ? {} : { binary: options.k6Binary }),
  });
  const engine: Engine = {
    clock: systemClock,
    faults: createFaults(context, options.faults ?? FAULT_FACTORIES),
    journal: options.journal,
    telemetry: options.telemetry,
    http: httpProber(resolve),
    load: loadDrivers({ flood, k6 }),
    history: floodHistory(() => flood.records(), options.history === undefined ? [] : [options.history]),
    switches: agentSwitches(options.topology),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.telemetryLagMillis === undefined ? {} : { telemetryLagMillis: options.telemetryLagMillis }),
    ...(options.flushTelemetry === undefined ? {} : { flushTelemetry: options.flushTelemetry }),
    ...(options.stepTimeoutMillis === undefined ? {} : { stepTimeoutMillis: options.stepTimeoutMillis }),
    ...(options.runStore === undefined
      ? {}
      : { observer: new StoringObserver(options.runStore, (run) => evidenceOf(run, flood)) }),
  };
  const reports: ExperimentReport[] = [];
  const evidence: Record<string, RunEvidence> = {};
  for (const experiment of experiments) {
    if (options.signal?.aborted) break;
    const report = await runExperiment(experiment, engine);
    reports.push(report);
    options.onReport?.(report);
    for (const run of [
      report.run,
      ...report.controls.flatMap((control) => (control.run === null ? [] : [control.run])),
    ]) {
      const found = evidenceOf(run, flood);
      if (found !== null) evidence[run.runId] = found;
    }
  }
  return { reports, evidence };
}
