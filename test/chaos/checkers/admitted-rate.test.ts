import { describe, expect, it } from "vitest";
import { admittedRate, maxInSpan, retryAfterSeconds } from "../../../chaos/checkers/admitted-rate.js";
import type { RequestOutcome } from "../../../chaos/checkers/types.js";

/** `perWindow[i]` requests evenly spread over window i of `windowMillis`, the first `admit(i)` answered 200. */
function flood(
  startMillis: number,
  windowMillis: number,
  perWindow: number[],
  admit: (index: number) => number,
  rejected: number | null = 429,
): RequestOutcome[] {
  return perWindow.flatMap((count, index) =>
    Array.from({ length: count }, (_, n) => ({
      timeMillis: startMillis + index * windowMillis + (n * windowMillis) / count,
      status: n < admit(index) ? 200 : rejected,
    })),
  );
}

describe("admitted_rate", () => {
  it("is valid when a 10x flood is admitted at the limit and the excess is answered 429", () => {
    const requests = flood(10_000, 1000, [100, 100, 100, 100, 100, 100], () => 10);
    const result = admittedRate.check({ requests }, { limit: 10, windowMillis: 1000 });
    expect(result.valid).toBe(true);
    expect(result).toMatchObject({
      windowCount: 5,
      offeredCount: 500,
      admittedCount: 50,
      rejectedCount: 450,
      expectedAdmittedCount: 50,
      relativeError: 0,
      admittedPerSecond: 10,
      limitPerSecond: 10,
      excessRejectedFraction: 1,
    });
  });

  it("judges only whole windows inside the flood", () => {
    const requests = flood(10_500, 1000, [100, 100, 100], () => 30);
    const result = admittedRate.check({ requests }, { limit: 30, windowMillis: 1000 });
    expect(result).toMatchObject({ windowCount: 2, admittedCount: 60, valid: true });
  });

  it("fails when the limiter admits more than the limit beyond the tolerance", () => {
    const requests = flood(0, 1000, [100, 100, 100, 100], () => 11);
    const result = admittedRate.check({ requests }, { limit: 10, windowMillis: 1000, tolerance: 0.05 });
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({ admittedCount: 33, expectedAdmittedCount: 30, relativeError: 0.1 });
    expect(result.reason).toMatch(/admitted 33 where the limit allows 30/);
  });

  it("with a lowerTolerance, a shortfall is judged apart from an excess", () => {
    const short = flood(0, 1000, [100, 100, 100, 100, 100], () => 29);
    const config = { limit: 30, windowMillis: 1000, tolerance: 0.02, lowerTolerance: 0.05 };
    expect(admittedRate.check({ requests: short }, config)).toMatchObject({
      valid: true,
      admittedCount: 116,
    });
    const tooShort = flood(0, 1000, [100, 100, 100, 100, 100], () => 28);
    const failed = admittedRate.check({ requests: tooShort }, config);
    expect(failed.valid).toBe(false);
    expect(failed.reason).toMatch(/admitted 112 where the limit allows 120 \(-6\.7%, -5\.0% to \+2\.0%\)/);
    const over = flood(0, 1000, [100, 100, 100, 100, 100], () => 31);
    expect(admittedRate.check({ requests: over }, config)).toMatchObject({
      valid: false,
      admittedCount: 124,
    });
  });

  it("with settleWindows, judges a shortfall only after the flood's first whole windows, an excess always", () => {
    // The first whole window admits 16: the limiter's log still holds what reached it late from before.
    const short = flood(0, 1000, [300, 300, 300, 300, 300], (index) => (index === 0 ? 16 : 30));
    const config = { limit: 30, windowMillis: 1000, tolerance: 0.02 };
    expect(admittedRate.check({ requests: short }, config)).toMatchObject({ valid: false, windowCount: 4 });
    expect(admittedRate.check({ requests: short }, { ...config, settleWindows: 1 })).toMatchObject({
      valid: true,
      windowCount: 4,
      settledRelativeError: 0,
    });
    const over = flood(0, 1000, [300, 300, 300, 300, 300], (index) => (index === 0 ? 60 : 30));
    const failed = admittedRate.check({ requests: over }, { ...config, settleWindows: 1 });
    expect(failed.valid).toBe(false);
    expect(failed.reason).toMatch(/admitted 150 where the limit allows 120/);
    // The spared shortfall does not offset an excess after it: 16 + 3 × 32 = 112 of 120 overall.
    const overAfterShort = flood(0, 1000, [300, 300, 300, 300, 300], (index) => (index === 0 ? 16 : 32));
    expect(admittedRate.check({ requests: overAfterShort }, { ...config, settleWindows: 1 }).reason).toMatch(
      /admitted 96 where the limit allows 90 after the first 1 windows \(6\.7%, ±2\.0%\)/,
    );
    const stillShort = flood(0, 1000, [300, 300, 300, 300, 300], (index) => (index === 2 ? 16 : 30));
    expect(admittedRate.check({ requests: stillShort }, { ...config, settleWindows: 1 }).reason).toMatch(
      /admitted 76 where the limit allows 90 after the first 1 windows/,
    );
  });

  it("expects the offered count, not the limit, when the flood stays under the limit", () => {
    const requests = flood(0, 1000, [5, 5, 5, 5], () => 5);
    expect(admittedRate.check({ requests }, { limit: 10, windowMillis: 1000 })).toMatchObject({
      valid: true,
      expectedAdmittedCount: 15,
      excessRejectedFraction: null,
    });
  });

  it("fails when the excess is dropped instead of answered 429", () => {
    const requests = flood(0, 1000, [20, 20, 20, 20], () => 10, null);
    const result = admittedRate.check({ requests }, { limit: 10, windowMillis: 1000 });
    expect(result).toMatchObject({
      valid: false,
      admittedCount: 30,
      excessRejectedFraction: 0,
      unansweredCount: 40,
    });
  });

  it("measures the fixed window's boundary burst across a window edge", () => {
    // All 10 admitted at the end of window 1 and all 10 at the start of window 2: 20 within 200 ms.
    const requests: RequestOutcome[] = [];
    for (let w = 0; w < 4; w++) {
      for (let n = 0; n < 10; n++) {
        const early = w % 2 === 1;
        requests.push({ timeMillis: w * 1000 + (early ? n * 10 : 900 + n * 10), status: 200 });
      }
      for (let n = 0; n < 50; n++) requests.push({ timeMillis: w * 1000 + 200 + n * 10, status: 429 });
    }
    const lenient = admittedRate.check({ requests }, { limit: 10, windowMillis: 1000 });
    expect(lenient).toMatchObject({ valid: true, maxAdmittedInSpan: 20, burstRatio: 2 });
    const strict = admittedRate.check({ requests }, { limit: 10, windowMillis: 1000, maxBurstRatio: 1.1 });
    expect(strict.valid).toBe(false);
    expect(strict.reason).toMatch(/20 admitted within 1000 ms \(2\.00× the limit\)/);
  });

  it("asks for a burst when minBurstRatio is set: a fixed window shows one, an even flood does not", () => {
    const edge: RequestOutcome[] = [];
    for (let w = 0; w < 4; w++) {
      for (let n = 0; n < 10; n++)
        edge.push({ timeMillis: w * 1000 + (w % 2 === 1 ? n : 990 + n), status: 200 });
    }
    const config = { limit: 10, windowMillis: 1000, minBurstRatio: 1.8, maxBurstRatio: 2 };
    expect(admittedRate.check({ requests: edge }, config)).toMatchObject({ valid: true, burstRatio: 2 });
    const even = flood(0, 1000, [100, 100, 100, 100], () => 10);
    const result = admittedRate.check({ requests: even }, config);
    expect(result).toMatchObject({ valid: false, burstRatio: 1 });
    expect(result.reason).toMatch(
      /at most 10 admitted within 1000 ms \(1\.00× the limit\), less than the 1\.8× burst/,
    );
  });

  it("with bound upper, fails only an admitted count above the limit", () => {
    // Pulses every 2 s: a sliding window admits 10 per pulse, half of what the aligned windows allow.
    const requests: RequestOutcome[] = [];
    for (let pulse = 0; pulse < 4; pulse++) {
      for (let n = 0; n < 40; n++) {
        requests.push({ timeMillis: 2000 * pulse + 1500 + n * 25, status: n < 10 ? 200 : 429 });
      }
    }
    const both = admittedRate.check({ requests }, { limit: 10, windowMillis: 1000 });
    expect(both).toMatchObject({ valid: false, admittedCount: 30, expectedAdmittedCount: 60 });
    expect(both.reason).toMatch(/-50\.0%, ±5\.0%/);
    const upper = admittedRate.check({ requests }, { limit: 10, windowMillis: 1000, bound: "upper" });
    expect(upper).toMatchObject({ valid: true, relativeError: -0.5 });
    const over = requests.map((r, i) => (i % 40 < 30 ? { ...r, status: 200 } : r));
    const tooMany = admittedRate.check({ requests: over }, { limit: 10, windowMillis: 1000, bound: "upper" });
    expect(tooMany.valid).toBe(false);
    expect(tooMany.reason).toMatch(/at most \+5\.0%/);
  });

  it("checks that every rejection carries a Retry-After no longer than a window", () => {
    const requests = flood(0, 1000, [20, 20, 20, 20], () => 10).map((r, i) => ({
      ...r,
      traceId: `t${i}`,
      ...(r.status === 429 ? { retryAfter: "1" } : {}),
    }));
    const config = { limit: 10, windowMillis: 1000, requireRetryAfter: true };
    expect(admittedRate.check({ requests }, config)).toMatchObject({
      valid: true,
      retryAfter: { rejectedCount: 40, invalidCount: 0, maxAllowedSeconds: 1, minSeconds: 1, maxSeconds: 1 },
    });
    const broken = requests.map((r, i) =>
      r.status !== 429
        ? r
        : { ...r, retryAfter: i === 15 ? null : i === 16 ? "soon" : i === 17 ? "60" : "1" },
    );
    const result = admittedRate.check({ requests: broken }, config);
    expect(result).toMatchObject({ valid: false, traceIds: ["t15", "t16", "t17"] });
    expect(result.reason).toMatch(/3 of 40 rejections had no valid Retry-After of at most 1 s/);
    // Without the option, the header is not looked at.
    expect(admittedRate.check({ requests: broken }, { limit: 10, windowMillis: 1000 }).valid).toBe(true);
  });

  it("reads Retry-After as delta-seconds or as an HTTP-date after the request", () => {
    const sent = Date.parse("Sun, 06 Nov 1994 08:49:37 GMT") - 400;
    expect(retryAfterSeconds("2", sent)).toBe(2);
    expect(retryAfterSeconds(" 0 ", sent)).toBe(0);
    expect(retryAfterSeconds("Sun, 06 Nov 1994 08:49:38 GMT", sent)).toBe(1);
    expect(retryAfterSeconds("Sun, 06 Nov 1994 08:49:30 GMT", sent)).toBe(0);
    expect(retryAfterSeconds("1.5", sent)).toBeNull();
    expect(retryAfterSeconds("-1", sent)).toBeNull();
    expect(retryAfterSeconds("tomorrow", sent)).toBeNull();
  });

  it("judges by when requests were sent, and reports how far the load generator fell behind", () => {
    // Scheduled 20 per second for 4 s, but sent at half speed: a limiter of 10/s, deciding on arrival,
    // admitted 10 per second of sending, which is 20 per second of the schedule.
    const requests = flood(0, 1000, [20, 20, 20, 20], () => 20).map((r, i) => ({
      ...r,
      sentAtMillis: i * 100,
      status: i % 10 < 1 ? 200 : 429,
    }));
    const config = { limit: 1, windowMillis: 1000, tolerance: 0, maxSendLagMillis: 5000 };
    const result = admittedRate.check({ requests }, config);
    expect(result).toMatchObject({ valid: true, burstRatio: 1, sendLagMillis: { max: 3950 } });
    // By default a lag beyond a tenth of the window means the load was not offered: nothing is judged.
    const late = admittedRate.check({ requests }, { limit: 1, windowMillis: 1000 });
    expect(late).toMatchObject({ valid: "unknown" });
    expect(late.reason).toMatch(/fell 3\d{3} ms behind its schedule \(p99; at most 100 ms\)/);
    const bySchedule = requests.map(({ sentAtMillis: _, ...r }) => r);
    expect(admittedRate.check({ requests: bySchedule }, { limit: 1, windowMillis: 1000 })).toMatchObject({
      valid: false,
      burstRatio: 2,
      sendLagMillis: null,
    });
  });

  it("counts the most timestamps in any half-open span", () => {
    expect(maxInSpan([0, 100, 999, 1000, 1001, 1999], 1000)).toBe(4);
    expect(maxInSpan([], 1000)).toBe(0);
  });

  it("is unknown without requests or without a whole window", () => {
    expect(admittedRate.check({ requests: [] }, { limit: 10, windowMillis: 1000 }).valid).toBe("unknown");
    const requests = flood(100, 100, [5, 5], () => 5);
    expect(admittedRate.check({ requests }, { limit: 10, windowMillis: 1000 }).valid).toBe("unknown");
  });
});
