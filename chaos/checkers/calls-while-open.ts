import { MalformedHistoryError } from "../experiment/errors.js";
import type { BreakerTransition, CalleeCall, Checker, CheckResult } from "./types.js";

export interface CallsWhileOpenConfig {
  /** Calls a half-open breaker lets through per half-open period. Default 1. */
  halfOpenProbes?: number;
  /** Calls reaching the callee this soon after the breaker opened were already in flight. Default 0. */
  graceMillis?: number;
  /** A breaker that never opened fails the check (its fault never tripped it). Default true. */
  requireOpen?: boolean;
  /** Judge only this caller's breaker and calls. */
  source?: string;
}

interface Interval {
  state: BreakerTransition["state"];
  fromMillis: number;
  toMillis: number | null;
  calls: number;
  violations: number;
}

function intervals(transitions: readonly BreakerTransition[]): Interval[] {
  const sorted = [...transitions].sort((a, b) => a.timeMillis - b.timeMillis);
  return sorted.map((transition, index) => ({
    state: transition.state,
    fromMillis: transition.timeMillis,
    toMillis: sorted[index + 1]?.timeMillis ?? null,
    calls: 0,
    violations: 0,
  }));
}

/** The interval holding `timeMillis`, or undefined before the first transition (the breaker was closed). */
function intervalAt(timeline: readonly Interval[], timeMillis: number): Interval | undefined {
  let low = 0;
  let high = timeline.length - 1;
  let found: Interval | undefined;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const interval = timeline[middle] as Interval;
    if (interval.fromMillis <= timeMillis) {
      found = interval;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/**
 * No call reaches the callee while its caller's breaker is open, and a half-open breaker lets through only
 * its probes. Transitions and calls carrying a `source` are matched per caller, so two gateways with their
 * own breakers are judged apart; without sources there is one breaker.
 */
export const callsWhileOpen: Checker<CallsWhileOpenConfig> = {
  name: "calls_while_open",
  description:
    "No call reaches a callee while its caller's circuit breaker is open, beyond half-open probes.",
  configSchema: {
    type: "object",
    properties: {
      halfOpenProbes: { type: "integer", minimum: 0 },
      graceMillis: { type: "number", minimum: 0 },
      requireOpen: { type: "boolean" },
      source: { type: "string", minLength: 1 },
    },
    additionalProperties: false,
  },
  check(history, config): CheckResult {
    const halfOpenProbes = config.halfOpenProbes ?? 1;
    const graceMillis = config.graceMillis ?? 0;
    const requireOpen = config.requireOpen ?? true;
    const keep = <T extends { source?: string }>(items: readonly T[]) =>
      config.source === undefined ? items : items.filter((item) => item.source === config.source);
    const transitions = keep(history.breakerTransitions ?? []);
    const calls = keep<CalleeCall>(history.calleeCalls ?? []);
    const perSource = transitions.some((transition) => transition.source !== undefined);
    if (perSource && transitions.some((transition) => transition.source === undefined)) {
      throw new MalformedHistoryError("some breaker transitions name their source and some do not");
    }

    const timelines = new Map<string, Interval[]>();
    const grouped = new Map<string, BreakerTransition[]>();
    for (const transition of transitions) {
      const source = transition.source ?? "";
      grouped.set(source, [...(grouped.get(source) ?? []), transition]);
    }
    for (const [source, group] of grouped) timelines.set(source, intervals(group));

    let unmatched = 0;
    const traceIds: string[] = [];
    for (const call of [...calls].sort((a, b) => a.timeMillis - b.timeMillis)) {
      const timeline = timelines.get(perSource ? (call.source ?? "") : "");
      if (timeline === undefined) {
        if (perSource) unmatched++;
        continue;
      }
      const interval = intervalAt(timeline, call.timeMillis);
      if (interval === undefined) continue;
      interval.calls++;
      const violates =
        (interval.state === "open" && call.timeMillis >= interval.fromMillis + graceMillis) ||
        (interval.state === "half_open" && interval.calls > halfOpenProbes);
      if (violates) {
        interval.violations++;
        if (call.traceId !== undefined) traceIds.push(call.traceId);
      }
    }

    const all = [...timelines.values()].flat();
    const opened = all.filter((interval) => interval.state === "open");
    const halfOpen = all.filter((interval) => interval.state === "half_open");
    const callsWhileOpenCount = opened.reduce((total, interval) => total + interval.violations, 0);
    const halfOpenExcessCount = halfOpen.reduce((total, interval) => total + interval.violations, 0);
    const details = {
      callCount: calls.length,
      openedCount: opened.length,
      callsWhileOpenCount,
      halfOpenExcessCount,
      unmatchedCallCount: unmatched,
      openIntervals: opened.map(({ fromMillis, toMillis, calls: n, violations }) => ({
        fromMillis,
        toMillis,
        calls: n,
        violations,
      })),
      traceIds: traceIds.slice(0, 50),
    };
    if (callsWhileOpenCount + halfOpenExcessCount > 0) {
      return {
        valid: false,
        reason: `${callsWhileOpenCount} calls reached the callee while open, ${halfOpenExcessCount} beyond half-open probes`,
        ...details,
      };
    }
    if (opened.length === 0 && requireOpen) {
      return { valid: false, reason: "the breaker never opened", ...details };
    }
    if (calls.length === 0)
      return { valid: "unknown", reason: "no call was logged at the callee", ...details };
    return { valid: true, ...details };
  },
};
