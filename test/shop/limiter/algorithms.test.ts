import { describe, expect, it } from "vitest";
import { createLimiter, type Decision, type LimiterConfig } from "../../../fixtures/shop/limiter/index.js";
import { admittedAt, burstyArrivals, feed, mostInAnyWindow, type Shape } from "./arrivals.js";

function local(config: Shape) {
  return createLimiter({ scope: "client", store: "local", ...config } as LimiterConfig);
}

function pattern(decisions: Decision[]): string {
  return decisions.map((d) => (d.allowed ? "+" : "-")).join("");
}

async function takeAt(config: Shape, times: number[]): Promise<Decision[]> {
  const limiter = local(config);
  const decisions: Decision[] = [];
  for (const atMillis of times) decisions.push(await limiter.take("k", atMillis));
  return decisions;
}

// Twenty requests in 20 ms, ten on each side of the window edge at 1000 ms.
const ACROSS_EDGE = Array.from({ length: 20 }, (_, i) => 990 + i);

describe("fixed window", () => {
  it("admits limit requests per window, and the next window starts with a whole quota", async () => {
    const decisions = await takeAt(
      { algorithm: "fixed_window", limit: 3, windowMillis: 1000 },
      [0, 1, 2, 3, 999, 1000],
    );

    expect(pattern(decisions)).toBe("+++--+");
    expect(decisions[0]).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      resetMillis: 1000,
      retryAfterMillis: 0,
      policy: "client",
    });
    expect(decisions[3]).toMatchObject({ remaining: 0, resetMillis: 997, retryAfterMillis: 997 });
    expect(decisions[4]).toMatchObject({ remaining: 0, retryAfterMillis: 1 });
    expect(decisions[5]).toMatchObject({ remaining: 2, resetMillis: 1000 });
  });

  it("admits twice its limit within 20 ms across a window edge", async () => {
    const limiter = local({ algorithm: "fixed_window", limit: 10, windowMillis: 1000 });

    const admitted = await admittedAt(limiter, ACROSS_EDGE);

    expect(admitted).toEqual(ACROSS_EDGE);
    expect(mostInAnyWindow(admitted, 1000)).toBe(20);
  });
});

describe("sliding window", () => {
  it("admits at most its limit across the same window edge", async () => {
    const limiter = local({ algorithm: "sliding_window", limit: 10, windowMillis: 1000 });

    const admitted = await admittedAt(limiter, ACROSS_EDGE);

    expect(admitted).toEqual(ACROSS_EDGE.slice(0, 10));
  });

  it("frees one request as each admission leaves the window", async () => {
    const decisions = await takeAt(
      { algorithm: "sliding_window", limit: 3, windowMillis: 1000 },
      [0, 100, 200, 300, 999, 1000, 1050, 1100],
    );

    expect(pattern(decisions)).toBe("+++--+-+");
    expect(decisions[2]).toMatchObject({ remaining: 0, resetMillis: 800, retryAfterMillis: 0 });
    expect(decisions[3]).toMatchObject({ remaining: 0, resetMillis: 700, retryAfterMillis: 700 });
    expect(decisions[4]).toMatchObject({ retryAfterMillis: 1 });
    expect(decisions[5]).toMatchObject({ remaining: 0, resetMillis: 100 });
    expect(decisions[6]).toMatchObject({ retryAfterMillis: 50 });
  });

  it("admits a request exactly when fewer than limit were admitted in the window before it", async () => {
    const limit = 7;
    const windowMillis = 1000;
    const limiter = local({ algorithm: "sliding_window", limit, windowMillis });
    const arrivals = burstyArrivals(1, 2000, ["k"]);

    const decisions = await feed(limiter, arrivals);

    const admitted: number[] = [];
    arrivals.forEach(({ atMillis }, i) => {
      const inWindow = admitted.filter((t) => t > atMillis - windowMillis).length;
      expect(decisions[i]?.allowed, `arrival ${i} at ${atMillis} ms`).toBe(inWindow < limit);
      if (decisions[i]?.allowed) admitted.push(atMillis);
    });
    expect(mostInAnyWindow(admitted, windowMillis)).toBe(limit);
  });

  it("keeps every window under the limit on traffic where the fixed window overshoots", async () => {
    const arrivals = burstyArrivals(2, 2000, ["k"]);
    const times = arrivals.map((a) => a.atMillis);
    const window = { limit: 7, windowMillis: 1000 } as const;

    const fixed = await admittedAt(local({ algorithm: "fixed_window", ...window }), times);
    const sliding = await admittedAt(local({ algorithm: "sliding_window", ...window }), times);

    expect(mostInAnyWindow(fixed, 1000)).toBeGreaterThan(7);
    expect(mostInAnyWindow(sliding, 1000)).toBe(7);
  });
});

describe("token bucket", () => {
  it("admits at most its burst across the same window edge", async () => {
    const limiter = local({ algorithm: "token_bucket", ratePerSecond: 10, burst: 10 });

    const admitted = await admittedAt(limiter, ACROSS_EDGE);

    expect(admitted).toEqual(ACROSS_EDGE.slice(0, 10));
  });

  it("spends a saved burst at once, then admits at its refill rate", async () => {
    const decisions = await takeAt(
      { algorithm: "token_bucket", ratePerSecond: 2, burst: 5 },
      [0, 0, 0, 0, 0, 0, 250, 500, 750, 1000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000],
    );

    // Six at once (burst 5), one token per 500 ms, then a burst of 5 again after a long idle.
    expect(pattern(decisions)).toBe("+++++-" + "-+-+" + "+++++-");
    expect(decisions[0]).toMatchObject({ limit: 5, remaining: 4, resetMillis: 500 });
    expect(decisions[5]).toMatchObject({ remaining: 0, retryAfterMillis: 500 });
    expect(decisions[6]).toMatchObject({ retryAfterMillis: 250 });
    expect(decisions[15]).toMatchObject({ allowed: false, remaining: 0, retryAfterMillis: 500 });
  });
});

describe("leaky bucket", () => {
  it("admits at most its burst across the same window edge", async () => {
    const limiter = local({ algorithm: "leaky_bucket", ratePerSecond: 10, burst: 10 });

    const admitted = await admittedAt(limiter, ACROSS_EDGE);

    expect(admitted).toEqual(ACROSS_EDGE.slice(0, 10));
  });

  it("rejects what would overflow the bucket, and makes room at its drain rate", async () => {
    const decisions = await takeAt(
      { algorithm: "leaky_bucket", ratePerSecond: 1, burst: 3 },
      [0, 0, 0, 0, 500, 1000, 1000],
    );

    expect(pattern(decisions)).toBe("+++--+-");
    expect(decisions[2]).toMatchObject({ remaining: 0, resetMillis: 1000 });
    expect(decisions[3]).toMatchObject({ retryAfterMillis: 1000 });
    expect(decisions[4]).toMatchObject({ retryAfterMillis: 500, resetMillis: 500 });
    expect(decisions[6]).toMatchObject({ retryAfterMillis: 1000 });
  });

  it("as a meter, decides exactly as a token bucket of the same burst and rate", async () => {
    const arrivals = burstyArrivals(3, 3000, ["a", "b", "c"]);
    const bucket = { ratePerSecond: 2, burst: 5 } as const;

    const leaky = await feed(local({ algorithm: "leaky_bucket", ...bucket }), arrivals);
    const token = await feed(local({ algorithm: "token_bucket", ...bucket }), arrivals);

    expect(leaky).toEqual(token);
    expect(leaky.filter((d) => !d.allowed).length).toBeGreaterThan(100);
  });
});
