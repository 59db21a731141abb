import { parseDuration } from "../../../cli/units.js";
import { DURATION_PATTERN, ID_PATTERN } from "../schema.js";
import type { DecisionSelector, RequestOutcome } from "../telemetry.js";
import { formatMillis, type RunTimes } from "../windows.js";
import type { EvaluationContext, KindResult } from "./types.js";

/**
 * The signals `time_to_detect` and `time_to_recover` watch after a fault: a service's failing requests
 * (entry spans, by the time they ended), or a defense decision the agents recorded.
 */

const duration = { type: "string", pattern: DURATION_PATTERN } as const;
const ratio = { type: "number", minimum: 0, maximum: 1 } as const;

/** What both kinds share in `errors`: whose requests, and what makes one bad. */
const requestProperties = {
  service: { type: "string", minLength: 1 },
  operation: { type: "string", minLength: 1 },
  minRequests: { type: "integer", minimum: 1 },
  slowerThan: duration,
} as const;

export interface ErrorsParams {
  service: string;
  operation?: string;
  minRequests?: number;
  slowerThan?: string;
}

export const detectErrorsSchema = {
  type: "object",
  additionalProperties: false,
  required: ["service"],
  properties: { ...requestProperties, above: ratio, over: duration },
} as const;

export interface DetectErrorsParams extends ErrorsParams {
  above?: number;
  over?: string;
}

export const recoverErrorsSchema = {
  type: "object",
  additionalProperties: false,
  required: ["service"],
  properties: { ...requestProperties, within: ratio, step: duration, sustain: duration },
} as const;

export interface RecoverErrorsParams extends ErrorsParams {
  within?: number;
  step?: string;
  sustain?: string;
}

export const decisionSchema = {
  type: "object",
  additionalProperties: false,
  required: ["defense"],
  properties: {
    defense: { type: "string", minLength: 1 },
    decision: { type: "string", minLength: 1 },
    service: { type: "string", minLength: 1 },
    attributes: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } },
  },
} as const;

export const faultProperty = { type: "string", pattern: ID_PATTERN } as const;

export const DEFAULTS = {
  overMillis: 1000,
  stepMillis: 500,
  sustainMillis: 2000,
  minRequests: 1,
  above: 0,
  within: 0,
} as const;

/** A request's outcome as a signal sees it: when it became known, and whether it counts as failed. */
export interface Outcome {
  readonly endMillis: number;
  readonly bad: boolean;
}

/** Failed, or (with `slowerThan`) slower than the bar: a latency fault shows as slow requests. */
export function outcomesOf(requests: readonly RequestOutcome[], slowerThan: string | undefined): Outcome[] {
  const slowMillis = slowerThan === undefined ? Number.POSITIVE_INFINITY : parseDuration(slowerThan);
  return requests.map((request) => ({
    endMillis: request.endMillis,
    bad: request.error || request.durationMillis > slowMillis,
  }));
}

export interface BreachOptions {
  readonly fromMillis: number;
  readonly untilMillis: number;
  /** The signal at time t is the bad share of the requests that ended in (t - over, t]. */
  readonly overMillis: number;
  readonly above: number;
  readonly minRequests: number;
}

export interface Breach {
  readonly atMillis: number;
  readonly ratio: number;
  readonly requests: number;
}

/**
 * The first moment in [from, until) at which the bad share over the preceding `over` exceeds `above`, with
 * at least `minRequests` requests in it; evaluated at every moment a request ended, like an alert rule
 * evaluated continuously. `outcomes` are sorted by end time and include those of the `over` before `from`.
 * Also returns the highest share seen, for the report of a signal that never fired.
 */
export function firstBreach(
  outcomes: readonly Outcome[],
  options: BreachOptions,
): { breach: Breach | null; peakRatio: number | null } {
  let left = 0;
  let right = 0;
  let bad = 0;
  let peakRatio: number | null = null;
  while (right < outcomes.length) {
    const at = (outcomes[right] as Outcome).endMillis;
    if (at >= options.untilMillis) break;
    // Every request that ended at this moment is in, so the share is that of the moment, not of an order.
    while (right < outcomes.length && (outcomes[right] as Outcome).endMillis === at) {
      if ((outcomes[right] as Outcome).bad) bad++;
      right++;
    }
    while ((outcomes[left] as Outcome).endMillis <= at - options.overMillis) {
      if ((outcomes[left] as Outcome).bad) bad--;
      left++;
    }
    const requests = right - left;
    if (at < options.fromMillis || requests < options.minRequests) continue;
    const ratio = bad / requests;
    peakRatio = Math.max(peakRatio ?? 0, ratio);
    if (ratio > options.above) return { breach: { atMillis: at, ratio, requests }, peakRatio };
  }
  return { breach: null, peakRatio };
}

export interface RecoveryOptions {
  readonly fromMillis: number;
  readonly untilMillis: number;
  readonly stepMillis: number;
  readonly sustainMillis: number;
  readonly within: number;
  readonly minRequests: number;
}

export type Recovery =
  /** The first sustained good stretch starts this long after `from` (a whole number of steps). */
  | { readonly recovered: true; readonly afterMillis: number; readonly steps: number }
  /**
   * No sustained good stretch before `until`: it cannot start before `atLeastMillis` after `from` (the
   * start of the good steps the data ended in, or the end of the last whole step).
   */
  | { readonly recovered: false; readonly atLeastMillis: number; readonly steps: number }
  /** No request ended in any whole step after `from`. */
  | null;

/**
 * Cuts [from, until) into whole steps from `from`; a step is good when at least `minRequests` requests
 * ended in it and their bad share is at most `within`. Recovery is the start of the first run of good
 * steps lasting `sustain` (rounded up to whole steps): an empty step breaks a run, since no data is no
 * evidence of health. `outcomes` are sorted by end time.
 */
export function firstSustainedRecovery(outcomes: readonly Outcome[], options: RecoveryOptions): Recovery {
  const steps = Math.floor((options.untilMillis - options.fromMillis) / options.stepMillis);
  const counts = Array.from({ length: steps }, () => ({ requests: 0, bad: 0 }));
  for (const outcome of outcomes) {
    const index = Math.floor((outcome.endMillis - options.fromMillis) / options.stepMillis);
    const step = counts[index];
    if (index < 0 || step === undefined) continue;
    step.requests++;
    if (outcome.bad) step.bad++;
  }
  if (counts.every((step) => step.requests === 0)) return null;
  const needed = Math.max(1, Math.ceil(options.sustainMillis / options.stepMillis));
  let run = 0;
  for (const [index, step] of counts.entries()) {
    const good = step.requests >= options.minRequests && step.bad / step.requests <= options.within;
    run = good ? run + 1 : 0;
    if (run === needed) {
      return { recovered: true, afterMillis: (index - needed + 1) * options.stepMillis, steps };
    }
  }
  return { recovered: false, atLeastMillis: (steps - run) * options.stepMillis, steps };
}

/** Where a fault-timed measurement starts: the fault's injection or its heal in this run. */
export function anchorOf(
  times: RunTimes,
  fault: string,
  from: "injection" | "heal",
): { anchorMillis: number } | { reason: string } {
  const recorded = times.faults[fault];
  if (recorded === undefined) return { reason: `no fault ${fault} in this run` };
  const anchorMillis = from === "injection" ? recorded.injectedAtMillis : recorded.healedAtMillis;
  if (anchorMillis === null) {
    return { reason: `fault ${fault} was never ${from === "injection" ? "injected" : "healed"} in this run` };
  }
  if (anchorMillis >= times.methodEndMillis) {
    return { reason: `fault ${fault}'s ${from} came at the method's end, leaving nothing to watch` };
  }
  return { anchorMillis };
}

/** The requests of an `errors` signal that ended from `lookbackMillis` before `from` to the method's end. */
export async function requestsAfter(
  params: ErrorsParams,
  context: EvaluationContext,
  fromMillis: number,
  lookbackMillis: number,
): Promise<Outcome[]> {
  const requests = await context.telemetry.requestOutcomes(
    params.operation === undefined
      ? { service: params.service }
      : { service: params.service, operation: params.operation },
    { startMillis: fromMillis - lookbackMillis, endMillis: context.times.methodEndMillis },
  );
  return outcomesOf(requests, params.slowerThan);
}

/** "rpc.circuit_breaker opened by gateway", for reasons. */
export function describeDecision(selector: DecisionSelector): string {
  const what =
    selector.decision === undefined
      ? `${selector.defense} decision`
      : `${selector.defense} ${selector.decision}`;
  return selector.service === undefined ? what : `${what} by ${selector.service}`;
}

/**
 * Milliseconds from `from` to the first matching decision before the method's end. No decision in a window
 * that holds telemetry of the deciding service is a time longer than the window; without any, unknown.
 */
export async function timeToDecision(
  selector: DecisionSelector,
  context: EvaluationContext,
  fromMillis: number,
  since: string,
): Promise<KindResult> {
  const untilMillis = context.times.methodEndMillis;
  const watchedMillis = Math.round(untilMillis - fromMillis);
  const found = await context.telemetry.firstDecision(selector, {
    startMillis: fromMillis,
    endMillis: untilMillis,
  });
  const details = { signal: describeDecision(selector), fromMillis, watchedMillis };
  if (found.atMillis !== null) {
    return { measured: found.atMillis - fromMillis, details: { ...details, atMillis: found.atMillis } };
  }
  const of = selector.service === undefined ? "" : ` of ${selector.service}`;
  if (!found.observed) {
    return { measured: null, reason: `no telemetry${of} from ${since} to the method's end`, details };
  }
  return {
    measured: null,
    atLeast: watchedMillis,
    reason: `no ${describeDecision(selector)} in the ${formatMillis(watchedMillis)} from ${since} to the method's end`,
    details,
  };
}
