import type { Control } from "../experiment/types.js";
import type { FaultWindow, RunRecord } from "./record.js";

/** The stretches of a run that the UI draws: the probes before, the method (load and faults), the probes after. */
export type RunPhase = "steady-state-before" | "method" | "steady-state-after";

/** A run as it begins, before anything is done. */
export interface RunStart {
  readonly runId: string;
  /** Shared by an experiment's run and its negative controls' runs: the experiment run's id. */
  readonly groupId: string;
  readonly title: string;
  readonly description: string | null;
  readonly file: string;
  readonly control: Control | null;
  readonly startedAtMillis: number;
  /** Every fault of the method as planned, none reached yet. */
  readonly faults: readonly FaultWindow[];
}

/** A negative control that does not run because the experiment was aborted first. */
export interface SkippedRun {
  readonly runId: string;
  readonly groupId: string;
  readonly title: string;
  readonly description: string | null;
  readonly file: string;
  readonly control: Control;
  readonly timeMillis: number;
  readonly reason: string;
}

/**
 * Sees runs as they happen — start, phases, each step of each fault's life cycle, end — so that they can be
 * stored live. Calls are synchronous and come in run order. An observer must not throw; if one does, the run
 * goes on and records an `observer-failed` event (telemetry never throws into what it observes).
 */
export interface RunObserver {
  runStarted(run: RunStart): void;
  phaseStarted(runId: string, phase: RunPhase, timeMillis: number): void;
  phaseEnded(runId: string, phase: RunPhase, timeMillis: number): void;
  /** After a fault is injected (the call begins), its injection returns or fails, it is verified, healed, or its heal fails. */
  faultChanged(runId: string, window: FaultWindow): void;
  runEnded(record: RunRecord): void;
  controlSkipped(run: SkippedRun): void;
}

/** Observes nothing: the default. */
export const noObserver: RunObserver = {
  runStarted() {},
  phaseStarted() {},
  phaseEnded() {},
  faultChanged() {},
  runEnded() {},
  controlSkipped() {},
};

/**
 * Wraps an observer so that a throw from it never reaches the run: each failure goes to `onError` instead,
 * with the name of the call that failed.
 */
export function guardedObserver(
  observer: RunObserver,
  onError: (call: keyof RunObserver, error: unknown) => void,
): RunObserver {
  const guard =
    <A extends unknown[]>(call: keyof RunObserver, notify: (...args: A) => void) =>
    (...args: A) => {
      try {
        notify(...args);
      } catch (error) {
        onError(call, error);
      }
    };
  return {
    runStarted: guard("runStarted", (run) => observer.runStarted(run)),
    phaseStarted: guard("phaseStarted", (runId, phase, timeMillis) =>
      observer.phaseStarted(runId, phase, timeMillis),
    ),
    phaseEnded: guard("phaseEnded", (runId, phase, timeMillis) =>
      observer.phaseEnded(runId, phase, timeMillis),
    ),
    faultChanged: guard("faultChanged", (runId, window) => observer.faultChanged(runId, window)),
    runEnded: guard("runEnded", (record) => observer.runEnded(record)),
    controlSkipped: guard("controlSkipped", (run) => observer.controlSkipped(run)),
  };
}
