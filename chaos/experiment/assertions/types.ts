import type { History, Validity } from "../../checkers/types.js";
import type { JsonObject } from "../fault-unit.js";
import type { AbsoluteWindow, Telemetry } from "../telemetry.js";
import type { RunTimes } from "../windows.js";

/** Sends one request to a topology node by service name (steady-state probes); status null on no answer. */
export interface HttpProber {
  request(
    request: { method: string; service: string; path: string; timeoutMillis: number },
    signal: AbortSignal,
  ): Promise<{ status: number | null }>;
}

/** What a kind may read while measuring. */
export interface EvaluationContext {
  /** The resolved window; kinds that do not read one get the whole method. */
  readonly window: AbsoluteWindow;
  /** The method's start and end and each fault's injection and heal, for kinds timed from a fault. */
  readonly times: RunTimes;
  readonly telemetry: Telemetry;
  readonly http: HttpProber;
  /** The run's ground truth for checkers, fetched once per run on first use. */
  history(): Promise<History>;
  readonly signal: AbortSignal;
}

/**
 * A kind's raw answer: a measured value the engine compares with the bar, or (for kinds without a bar) its
 * own verdict. `measured` null means no data, judged unknown.
 */
export interface KindResult {
  readonly measured: number | null;
  /**
   * With `measured` null: what is known of a value still to come when the data ended (a time to recover
   * longer than the run watched). A bar whose `max` it already exceeds is failed; otherwise it is unknown.
   */
  readonly atLeast?: number;
  readonly valid?: Validity;
  readonly reason?: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly traceIds?: readonly string[];
}

/**
 * One kind of measurement, usable as a steady-state probe and as an assertion; one file each, registered by
 * its snake_case name. Validation and evaluation both read the kind from the same registry.
 */
export interface AssertionKind<P extends object = object> {
  readonly name: string;
  readonly description: string;
  /** JSON schema of the kind's own fields, beside the common ones (name, kind, window, min, max). */
  readonly properties: Readonly<Record<string, object>>;
  readonly required: readonly string[];
  /** Whether `min`/`max` apply and at least one is required. */
  readonly bar: boolean;
  /** Whether `window` means anything to it (a single HTTP request or a checker of the whole run does not). */
  readonly windowed: boolean;
  /** The field that names a method action (`fault: kill-catalog`); validated like a window's fault. */
  readonly faultField?: string;
  /**
   * Fields that hold a window besides `window` (a baseline to compare with): validated like `window`, and
   * handed to `evaluate` as a `WindowSpec`.
   */
  readonly windowFields?: readonly string[];
  /** Fields of which exactly one must be given, e.g. the signal a time is measured on. */
  readonly exactlyOneOf?: readonly string[];
  /** Unit of the measured value, shown beside it in reports. */
  readonly unit: string;
  evaluate(params: P, context: EvaluationContext): Promise<KindResult>;
}

/** The kind-specific fields, validated against the kind's schema before any run. */
export type Params = JsonObject;
