import type { MeasurementOutcome } from "../experiment/evaluate.js";
import type { Injection, JsonObject, Target, Verification } from "../experiment/fault-unit.js";
import type { Control, Profile } from "../experiment/types.js";
import type { RunStatus } from "../journal/status.js";

/** One fault of a run, with the times of its life cycle (Unix epoch milliseconds; null if never reached). */
export interface FaultWindow {
  readonly id: string;
  readonly fault: string;
  readonly target: Target;
  readonly config: JsonObject;
  /** When the schedule wanted it, after the method's start. */
  readonly scheduledAtMillis: number;
  readonly injectedAtMillis: number | null;
  readonly verifiedAtMillis: number | null;
  readonly healedAtMillis: number | null;
  readonly injection: Injection | null;
  readonly verification: Verification | null;
  readonly error: string | null;
}

/** An op as it was carried out, in order; what tests compare against the schedule. */
export interface TimelineEvent {
  readonly timeMillis: number;
  readonly op: string;
  readonly actionId?: string;
  readonly detail?: string;
}

export interface RollbackOutcome {
  readonly fault: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Everything one run did and found: the JSON journal of a run. */
export interface RunRecord {
  readonly runId: string;
  readonly title: string;
  readonly file: string;
  /** The negative control this run is, or null for the experiment as written. */
  readonly control: Control | null;
  readonly status: RunStatus;
  /** Why the run ended as it did, in one sentence; null when it passed. */
  readonly reason: string | null;
  readonly startedAtMillis: number;
  readonly endedAtMillis: number;
  readonly methodStartedAtMillis: number | null;
  readonly methodEndedAtMillis: number | null;
  readonly steadyState: {
    readonly before: readonly MeasurementOutcome[];
    readonly after: readonly MeasurementOutcome[];
  };
  readonly faults: readonly FaultWindow[];
  readonly assertions: readonly MeasurementOutcome[];
  readonly rollbacks: readonly RollbackOutcome[];
  readonly events: readonly TimelineEvent[];
  readonly errors: readonly string[];
}

/** A negative control's verdict: it must fail; passing means the experiment cannot tell the defense is there. */
export type ControlVerdict = "failed-as-expected" | "passed-unexpectedly" | "error" | "aborted" | "skipped";

export interface ControlOutcome {
  readonly control: Control;
  readonly verdict: ControlVerdict;
  /** Null when it was skipped because the experiment was aborted first. */
  readonly run: RunRecord | null;
}

/** One experiment file's result: its run, then each negative control's. */
export interface ExperimentReport {
  readonly title: string;
  readonly description: string | null;
  readonly file: string;
  readonly profile: Profile;
  readonly status: RunStatus;
  /** Why it has that status: the run's reason, or the negative control that did not fail. */
  readonly reason: string | null;
  readonly startedAtMillis: number;
  readonly endedAtMillis: number;
  readonly run: RunRecord;
  readonly controls: readonly ControlOutcome[];
}
