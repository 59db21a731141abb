import { parseDuration } from "../../../cli/units.js";
import type { DecisionSelector } from "../telemetry.js";
import { formatMillis } from "../windows.js";
import {
  anchorOf,
  DEFAULTS,
  decisionSchema,
  faultProperty,
  firstSustainedRecovery,
  type RecoverErrorsParams,
  recoverErrorsSchema,
  requestsAfter,
  timeToDecision,
} from "./fault-signal.js";
import type { AssertionKind } from "./types.js";

interface TimeToRecoverParams {
  fault: string;
  from?: "heal" | "injection";
  errors?: RecoverErrorsParams;
  decision?: DecisionSelector;
}

/**
 * Milliseconds from a fault's heal (or injection) to the start of the first stretch of `sustain` in which
 * every `step` had requests and at most `within` of them failed — or to a defense recording a decision
 * (a breaker closing). Not recovered before the method's end fails a `max` the data already passed.
 */
export const timeToRecover: AssertionKind<TimeToRecoverParams> = {
  name: "time_to_recover",
  description:
    "Time from a fault's heal (or injection) until a service is back to health for a sustained stretch.",
  properties: {
    fault: faultProperty,
    from: { enum: ["heal", "injection"] },
    errors: recoverErrorsSchema,
    decision: decisionSchema,
  },
  required: ["fault"],
  faultField: "fault",
  exactlyOneOf: ["errors", "decision"],
  bar: true,
  windowed: false,
  unit: "ms",
  async evaluate(params, context) {
    const from = params.from ?? "heal";
    const anchor = anchorOf(context.times, params.fault, from);
    if ("reason" in anchor) return { measured: null, reason: anchor.reason };
    const fromMillis = anchor.anchorMillis;
    const since = `${params.fault}'s ${from}`;
    if (params.decision !== undefined) return timeToDecision(params.decision, context, fromMillis, since);

    const errors = params.errors as RecoverErrorsParams;
    const stepMillis = errors.step === undefined ? DEFAULTS.stepMillis : parseDuration(errors.step);
    const sustainMillis =
      errors.sustain === undefined ? DEFAULTS.sustainMillis : parseDuration(errors.sustain);
    const within = errors.within ?? DEFAULTS.within;
    const untilMillis = context.times.methodEndMillis;
    const outcomes = await requestsAfter(errors, context, fromMillis, 0);
    const recovery = firstSustainedRecovery(outcomes, {
      fromMillis,
      untilMillis,
      stepMillis,
      sustainMillis,
      within,
      minRequests: errors.minRequests ?? DEFAULTS.minRequests,
    });
    const signal = `${formatMillis(sustainMillis)} of ${formatMillis(stepMillis)} steps with at most ${within} of ${errors.service}'s requests failing`;
    const details = { signal, fromMillis, watchedMillis: Math.round(untilMillis - fromMillis) };
    if (recovery === null) {
      return {
        measured: null,
        reason: `no request to ${errors.service} ended in a whole step from ${since} to the method's end`,
        details,
      };
    }
    if (recovery.recovered) {
      return {
        measured: recovery.afterMillis,
        details: { ...details, atMillis: fromMillis + recovery.afterMillis, steps: recovery.steps },
      };
    }
    return {
      measured: null,
      atLeast: recovery.atLeastMillis,
      reason: `not recovered in the ${formatMillis(recovery.steps * stepMillis)} watched from ${since}: no ${signal} started before ${formatMillis(recovery.atLeastMillis)}`,
      details: { ...details, steps: recovery.steps },
    };
  },
};
