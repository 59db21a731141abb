import { describe, expect, it } from "vitest";
import { callsWhileOpen } from "../../../chaos/checkers/calls-while-open.js";
import { check } from "../../../chaos/checkers/compose.js";
import type { BreakerTransition, CalleeCall } from "../../../chaos/checkers/types.js";

const transitions: BreakerTransition[] = [
  { timeMillis: 1000, state: "open" },
  { timeMillis: 6000, state: "half_open" },
  { timeMillis: 6100, state: "closed" },
];
const calls = (...times: number[]): CalleeCall[] =>
  times.map((timeMillis) => ({ timeMillis, traceId: `t${timeMillis}` }));

describe("calls_while_open", () => {
  it("is valid when no call reaches the callee while the breaker is open and one probe passes half-open", () => {
    const result = callsWhileOpen.check(
      { breakerTransitions: transitions, calleeCalls: calls(100, 900, 6050, 7000) },
      {},
    );
    expect(result).toMatchObject({ valid: true, callCount: 4, openedCount: 1, callsWhileOpenCount: 0 });
  });

  it("counts calls that reached the callee while the breaker was open", () => {
    const result = callsWhileOpen.check(
      { breakerTransitions: transitions, calleeCalls: calls(100, 1000, 2500, 5999, 6000, 7000) },
      {},
    );
    expect(result).toMatchObject({
      valid: false,
      callsWhileOpenCount: 3,
      halfOpenExcessCount: 0,
      openIntervals: [{ fromMillis: 1000, toMillis: 6000, calls: 3, violations: 3 }],
      traceIds: ["t1000", "t2500", "t5999"],
    });
  });

  it("allows calls already in flight within the grace period after opening", () => {
    const result = callsWhileOpen.check(
      { breakerTransitions: transitions, calleeCalls: calls(1000, 1020, 1200) },
      { graceMillis: 50 },
    );
    expect(result).toMatchObject({ valid: false, callsWhileOpenCount: 1 });
  });

  it("counts half-open calls beyond the configured probes", () => {
    const history = { breakerTransitions: transitions, calleeCalls: calls(6001, 6002, 6003) };
    expect(callsWhileOpen.check(history, {})).toMatchObject({ valid: false, halfOpenExcessCount: 2 });
    expect(callsWhileOpen.check(history, { halfOpenProbes: 3 })).toMatchObject({
      valid: true,
      halfOpenExcessCount: 0,
    });
  });

  it("judges each caller's breaker against that caller's calls", () => {
    const history = {
      breakerTransitions: [
        { timeMillis: 1000, state: "open" as const, source: "gateway-1" },
        { timeMillis: 1000, state: "closed" as const, source: "gateway-2" },
      ],
      calleeCalls: [
        { timeMillis: 2000, source: "gateway-2" },
        { timeMillis: 2000, source: "gateway-1" },
        { timeMillis: 2000, source: "gateway-3" },
      ],
    };
    expect(callsWhileOpen.check(history, {})).toMatchObject({
      valid: false,
      callsWhileOpenCount: 1,
      unmatchedCallCount: 1,
    });
    expect(callsWhileOpen.check(history, { source: "gateway-2", requireOpen: false })).toMatchObject({
      valid: true,
      callCount: 1,
    });
  });

  it("fails when the breaker never opened, unless told that is fine", () => {
    const history = { breakerTransitions: [], calleeCalls: calls(100, 200) };
    expect(callsWhileOpen.check(history, {})).toMatchObject({
      valid: false,
      reason: "the breaker never opened",
    });
    expect(callsWhileOpen.check(history, { requireOpen: false }).valid).toBe(true);
  });

  it("judges each callee's breaker apart, and can keep to one callee", () => {
    const history = {
      breakerTransitions: [
        { timeMillis: 1000, state: "open" as const, source: "gateway-1", callee: "recommendations" },
        { timeMillis: 1000, state: "open" as const, source: "gateway-1", callee: "catalog" },
        { timeMillis: 1500, state: "half_open" as const, source: "gateway-1", callee: "catalog" },
        { timeMillis: 1600, state: "closed" as const, source: "gateway-1", callee: "catalog" },
      ],
      calleeCalls: [
        { timeMillis: 2000, source: "gateway-1", callee: "catalog" },
        { timeMillis: 2000, source: "gateway-1", callee: "recommendations" },
      ],
    };
    expect(callsWhileOpen.check(history, {})).toMatchObject({ valid: false, callsWhileOpenCount: 1 });
    expect(callsWhileOpen.check(history, { callee: "catalog" })).toMatchObject({
      valid: true,
      callCount: 1,
      halfOpenCount: 1,
    });
  });

  describe("timed against the run's faults", () => {
    const faults = [
      { id: "fail", injectedAtMillis: 400, healedAtMillis: 5000 },
      { id: "hang", injectedAtMillis: 5000, healedAtMillis: 6050 },
    ];
    const history = { breakerTransitions: transitions, calleeCalls: calls(100, 6050, 7000), faults };

    it("measures the time from injection to opening and from heal to closing, and holds them to a bar", () => {
      const result = callsWhileOpen.check(history, {
        openedAfterInjection: { fault: "fail", withinMillis: 600 },
        closedAfterHeal: { fault: "hang", withinMillis: 50 },
      });
      expect(result).toMatchObject({
        valid: true,
        millisToOpen: 600,
        millisToClose: 50,
        halfOpenCount: 1,
        callsWhileHalfOpen: [1],
      });
      expect(
        callsWhileOpen.check(history, {
          openedAfterInjection: { fault: "fail", withinMillis: 599 },
          closedAfterHeal: { fault: "hang", withinMillis: 49 },
        }),
      ).toMatchObject({
        valid: false,
        reason:
          "the breaker opened 600 ms after fail was injected, over 599 ms; the breaker closed 50 ms after hang was healed, over 49 ms",
      });
    });

    it("fails a breaker that never opened, or that is open again at the end", () => {
      const never = { calleeCalls: calls(100, 600), faults };
      expect(
        callsWhileOpen.check(never, { openedAfterInjection: { fault: "fail", withinMillis: 2000 } }),
      ).toMatchObject({
        valid: false,
        millisToOpen: null,
        reason: "the breaker never opened; the breaker did not open after fail was injected",
      });
      const reopened = {
        ...history,
        breakerTransitions: [...transitions, { timeMillis: 8000, state: "open" as const }],
      };
      expect(
        callsWhileOpen.check(reopened, { closedAfterHeal: { fault: "hang", withinMillis: 5000 } }),
      ).toMatchObject({ valid: false, millisToClose: null });
    });

    it("times closing from the heal, and counts a breaker already closed then as closed at once", () => {
      expect(
        callsWhileOpen.check(history, { closedAfterHeal: { fault: "fail", withinMillis: 0 } }),
      ).toMatchObject({ valid: false, millisToClose: 1100 });
      const early = { ...history, faults: [{ id: "late", injectedAtMillis: 500, healedAtMillis: 6500 }] };
      expect(
        callsWhileOpen.check(early, { closedAfterHeal: { fault: "late", withinMillis: 0 } }),
      ).toMatchObject({ valid: true, millisToClose: 0 });
    });

    it("is unknown when the fault it is timed against is not in the history", () => {
      expect(
        check(callsWhileOpen, history, { openedAfterInjection: { fault: "nope", withinMillis: 1 } }),
      ).toMatchObject({ valid: "unknown", reason: expect.stringMatching(/no fault "nope"/) });
    });
  });

  it("is unknown when the callee logged no call at all", () => {
    expect(callsWhileOpen.check({ breakerTransitions: transitions, calleeCalls: [] }, {}).valid).toBe(
      "unknown",
    );
  });
});
