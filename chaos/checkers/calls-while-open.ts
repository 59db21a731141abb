import { MalformedHistoryError } from "../experiment/errors.js";
import type { BreakerTransition, CalleeCall, Checker, CheckResult, FaultWindow, History } from "./types.js";

/** A bound on how long the breaker took to react to one of the run's faults. */
export interface FaultDeadline {
  /** The fault action's id. */
  fault: string;
  withinMillis: number;
}

export interface CallsWhileOpenConfig {
  /** Calls a half-open breaker lets through per half-open period. Default 1. */
  halfOpenProbes?: number;
  /** Calls reaching the callee this soon after the breaker opened were already in flight. Default 0. */
  graceMillis?: number;
  /** A breaker that never opened fails the check (its fault never tripped it). Default true. */
  requireOpen?: boolean;
  /** Judge only this caller's breaker and calls. */
  source?: string;
  /** Judge only the breaker guarding this callee, and the calls that reached it. */
  callee?: string;
  /**
   * Every breaker, closed when the fault is injected, opens within `withinMillis` of it (its configured
   * window, say).
   */
  openedAfterInjection?: FaultDeadline;
  /** Every breaker is closed within `withinMillis` of the fault's heal, and still closed at the end. */
  closedAfterHeal?: FaultDeadline;
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

function faultOf(history: History, deadline: FaultDeadline): FaultWindow {
  const fault = (history.faults ?? []).find((candidate) => candidate.id === deadline.fault);
  if (fault === undefined) throw new MalformedHistoryError(`no fault "${deadline.fault}" in the history`);
  return fault;
}

/**
 * Time from the fault's injection to the breaker's first opening after it; null if it never opened, or if
 * it was not closed when the fault came (then there is nothing to time).
 */
function millisToOpen(timeline: readonly Interval[], fault: FaultWindow): number | null {
  const injected = fault.injectedAtMillis;
  if (injected === null) return null;
  const atInjection = intervalAt(timeline, injected);
  if (atInjection !== undefined && atInjection.state !== "closed") return null;
  const opened = timeline.find((interval) => interval.state === "open" && interval.fromMillis >= injected);
  return opened === undefined ? null : opened.fromMillis - injected;
}

/**
 * Time from the fault's heal until the breaker was closed (0 if it already was), provided it stayed closed to
 * the end of the run; null otherwise.
 */
function millisToClose(timeline: readonly Interval[], fault: FaultWindow): number | null {
  const healed = fault.healedAtMillis;
  const last = timeline.at(-1);
  if (healed === null || (last !== undefined && last.state !== "closed")) return null;
  const atHeal = intervalAt(timeline, healed);
  if (atHeal === undefined || atHeal.state === "closed") return 0;
  const closed = timeline.find((interval) => interval.state === "closed" && interval.fromMillis >= healed);
  return closed === undefined ? null : closed.fromMillis - healed;
}

const deadlineSchema = {
  type: "object",
  required: ["fault", "withinMillis"],
  additionalProperties: false,
  properties: { fault: { type: "string", minLength: 1 }, withinMillis: { type: "number", minimum: 0 } },
} as const;

/**
 * No call reaches the callee while its caller's breaker is open, and a half-open breaker lets through only
 * its probes. Transitions and calls carrying a `source` are matched per caller, and those carrying a
 * `callee` per callee, so two gateways with their own breakers are judged apart; without either there is
 * one breaker. With `openedAfterInjection` and `closedAfterHeal`, the breaker must also react in time.
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
      callee: { type: "string", minLength: 1 },
      openedAfterInjection: deadlineSchema,
      closedAfterHeal: deadlineSchema,
    },
    additionalProperties: false,
  },
  check(history, config): CheckResult {
    const halfOpenProbes = config.halfOpenProbes ?? 1;
    const graceMillis = config.graceMillis ?? 0;
    const requireOpen = config.requireOpen ?? true;
    const keep = <T extends { source?: string; callee?: string }>(items: readonly T[]) =>
      items.filter(
        (item) =>
          (config.source === undefined || item.source === config.source) &&
          (config.callee === undefined || item.callee === config.callee),
      );
    const transitions = keep(history.breakerTransitions ?? []);
    const calls = keep<CalleeCall>(history.calleeCalls ?? []);
    const perSource = transitions.some((transition) => transition.source !== undefined);
    const perCallee = transitions.some((transition) => transition.callee !== undefined);
    if (perSource && transitions.some((transition) => transition.source === undefined)) {
      throw new MalformedHistoryError("some breaker transitions name their source and some do not");
    }
    if (perCallee && transitions.some((transition) => transition.callee === undefined)) {
      throw new MalformedHistoryError("some breaker transitions name their callee and some do not");
    }
    const breakerOf = (item: { source?: string; callee?: string }) =>
      `${perSource ? (item.source ?? "") : ""} → ${perCallee ? (item.callee ?? "") : ""}`;

    const grouped = new Map<string, BreakerTransition[]>();
    for (const transition of transitions) {
      const breaker = breakerOf(transition);
      grouped.set(breaker, [...(grouped.get(breaker) ?? []), transition]);
    }
    const timelines = new Map<string, Interval[]>();
    for (const [breaker, group] of grouped) timelines.set(breaker, intervals(group));

    let unmatched = 0;
    const traceIds: string[] = [];
    for (const call of [...calls].sort((a, b) => a.timeMillis - b.timeMillis)) {
      const timeline = timelines.get(breakerOf(call));
      if (timeline === undefined) {
        if (perSource || perCallee) unmatched++;
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

    const problems: string[] = [];
    const timing: Record<string, unknown> = {};
    const worst = (values: (number | null)[]) =>
      values.length === 0 || values.includes(null) ? null : Math.max(...(values as number[]));
    if (config.openedAfterInjection !== undefined) {
      const { withinMillis } = config.openedAfterInjection;
      const fault = faultOf(history, config.openedAfterInjection);
      const measured = worst([...timelines.values()].map((timeline) => millisToOpen(timeline, fault)));
      timing.millisToOpen = measured;
      if (measured === null || measured > withinMillis) {
        problems.push(
          measured === null
            ? `the breaker was not closed when ${fault.id} was injected, or did not open after`
            : `the breaker opened ${measured} ms after ${fault.id} was injected, over ${withinMillis} ms`,
        );
      }
    }
    if (config.closedAfterHeal !== undefined) {
      const { withinMillis } = config.closedAfterHeal;
      const fault = faultOf(history, config.closedAfterHeal);
      const measured = worst([...timelines.values()].map((timeline) => millisToClose(timeline, fault)));
      timing.millisToClose = measured;
      if (measured === null || measured > withinMillis) {
        problems.push(
          measured === null
            ? `the breaker was not closed for good after ${fault.id} was healed`
            : `the breaker closed ${measured} ms after ${fault.id} was healed, over ${withinMillis} ms`,
        );
      }
    }

    const details = {
      callCount: calls.length,
      openedCount: opened.length,
      callsWhileOpenCount,
      halfOpenExcessCount,
      unmatchedCallCount: unmatched,
      halfOpenCount: halfOpen.length,
      callsWhileHalfOpen: halfOpen.map((interval) => interval.calls),
      ...timing,
      openIntervals: opened.map(({ fromMillis, toMillis, calls: n, violations }) => ({
        fromMillis,
        toMillis,
        calls: n,
        violations,
      })),
      traceIds: traceIds.slice(0, 50),
    };
    if (callsWhileOpenCount + halfOpenExcessCount > 0) {
      problems.unshift(
        `${callsWhileOpenCount} calls reached the callee while open, ${halfOpenExcessCount} beyond half-open probes`,
      );
    } else if (opened.length === 0 && requireOpen) {
      problems.unshift("the breaker never opened");
    }
    if (problems.length > 0) return { valid: false, reason: problems.join("; "), ...details };
    if (calls.length === 0)
      return { valid: "unknown", reason: "no call was logged at the callee", ...details };
    return { valid: true, ...details };
  },
};
