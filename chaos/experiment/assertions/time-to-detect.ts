import { parseDuration } from "../../../cli/units.js";
import type { DecisionSelector } from "../telemetry.js";
import { formatMillis } from "../windows.js";
import {
  anchorOf,
  DEFAULTS,
  type DetectErrorsParams,
  decisionSchema,
  detectErrorsSchema,
  faultProperty,
  firstBreach,
  requestsAfter,
  timeToDecision,
} from "./fault-signal.js";
import type { AssertionKind } from "./types.js";

interface TimeToDetectParams {
  fault: string;
  errors?: DetectErrorsParams;
  decision?: DecisionSelector;
}

/**
 * Milliseconds from a fault's injection to the first moment a signal shows it: the failing share of a
 * service's requests over the last `over` rising above `above`, or a defense recording a decision. A signal
 * that never shows it before the method's end fails a `max` shorter than the time watched.
 */
export const timeToDetect: AssertionKind<TimeToDetectParams> = {
  name: "time_to_detect",
  description: "Time from a fault's injection until its failing requests or a defense decision show it.",
  properties: { fault: faultProperty, errors: detectErrorsSchema, decision: decisionSchema },
  required: ["fault"],
  faultField: "fault",
  exactlyOneOf: ["errors", "decision"],
  bar: true,
  windowed: false,
  unit: "ms",
  async evaluate(params, context) {
    const anchor = anchorOf(context.times, params.fault, "injection");
    if ("reason" in anchor) return { measured: null, reason: anchor.reason };
    const fromMillis = anchor.anchorMillis;
    const since = `${params.fault}'s injection`;
    if (params.decision !== undefined) return timeToDecision(params.decision, context, fromMillis, since);

    const errors = params.errors as DetectErrorsParams;
    const overMillis = errors.over === undefined ? DEFAULTS.overMillis : parseDuration(errors.over);
    const above = errors.above ?? DEFAULTS.above;
    const untilMillis = context.times.methodEndMillis;
    const watchedMillis = Math.round(untilMillis - fromMillis);
    const outcomes = await requestsAfter(errors, context, fromMillis, overMillis);
    const { breach, peakRatio } = firstBreach(outcomes, {
      fromMillis,
      untilMillis,
      overMillis,
      above,
      minRequests: errors.minRequests ?? DEFAULTS.minRequests,
    });
    const signal = `failing share of ${errors.service}'s requests over ${formatMillis(overMillis)} above ${above}`;
    const details = { signal, fromMillis, watchedMillis, peakRatio };
    if (breach !== null) {
      return {
        measured: breach.atMillis - fromMillis,
        details: { ...details, atMillis: breach.atMillis, ratio: breach.ratio, requests: breach.requests },
      };
    }
    if (peakRatio === null) {
      return {
        measured: null,
        reason: `too few requests to ${errors.service} ended from ${since} to the method's end to judge`,
        details,
      };
    }
    return {
      measured: null,
      atLeast: watchedMillis,
      reason: `not detected in the ${formatMillis(watchedMillis)} from ${since} to the method's end: the ${signal} peaked at ${peakRatio}`,
      details,
    };
  },
};
