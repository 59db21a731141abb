import { describe, expect, it } from "vitest";
import { callsWhileOpen } from "../../../chaos/checkers/calls-while-open.js";
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

  it("is unknown when the callee logged no call at all", () => {
    expect(callsWhileOpen.check({ breakerTransitions: transitions, calleeCalls: [] }, {}).valid).toBe(
      "unknown",
    );
  });
});
