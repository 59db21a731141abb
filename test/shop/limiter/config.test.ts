import { describe, expect, it } from "vitest";
import {
  ALGORITHMS,
  createLimiter,
  InvalidLimiterConfigError,
  type LocalLimiter,
  parseLimiterConfig,
} from "../../../fixtures/shop/limiter/index.js";

function configError(input: unknown): InvalidLimiterConfigError {
  try {
    parseLimiterConfig(input);
  } catch (error) {
    if (error instanceof InvalidLimiterConfigError) return error;
    throw error;
  }
  throw new Error(`config was accepted: ${JSON.stringify(input)}`);
}

describe("limiter config", () => {
  it("the registry knows the four algorithms by their snake_case names", () => {
    expect(Object.keys(ALGORITHMS)).toEqual([
      "fixed_window",
      "sliding_window",
      "leaky_bucket",
      "token_bucket",
    ]);
    for (const [name, algorithm] of Object.entries(ALGORITHMS)) expect(algorithm.name).toBe(name);
  });

  it("accepts a window config and a bucket config, and states the bucket's quota as burst per refill time", () => {
    const window = {
      algorithm: "fixed_window",
      scope: "client",
      store: "local",
      limit: 100,
      windowMillis: 1000,
    };
    const bucket = {
      algorithm: "token_bucket",
      scope: "global",
      store: "local",
      ratePerSecond: 10,
      burst: 20,
    };

    expect(parseLimiterConfig(window)).toEqual(window);
    expect(createLimiter(parseLimiterConfig(bucket)).policy).toEqual({
      name: "global",
      algorithm: "token_bucket",
      scope: "global",
      store: "local",
      limit: 20,
      windowMillis: 2000,
    });
  });

  it("rejects an unknown algorithm and lists the known ones", () => {
    const error = configError({ algorithm: "gcra", scope: "client", store: "local" });

    expect(error.code).toBe("SHAKEDOWN_INVALID_LIMITER_CONFIG");
    expect(error.field).toBe("algorithm");
    expect(error.message).toBe(
      'invalid rate limiter config: algorithm must be one of fixed_window, sliding_window, leaky_bucket, token_bucket, got "gcra"',
    );
  });

  it("names the field and the value that make a config invalid", () => {
    const base = {
      algorithm: "sliding_window",
      scope: "client",
      store: "local",
      limit: 5,
      windowMillis: 1000,
    };

    expect(configError({ ...base, limit: 0 }).message).toContain(
      "limit must be an integer from 1 to 10000, got 0",
    );
    expect(configError({ ...base, windowMillis: 1.5 }).field).toBe("windowMillis");
    expect(configError({ ...base, scope: "tenant" }).message).toContain(
      'scope must be one of client, global, got "tenant"',
    );
    expect(configError({ ...base, store: "memcached" }).field).toBe("store");
    expect(configError({ ...base, name: 'a"b' }).field).toBe("name");
    expect(configError({ ...base, limit: undefined }).message).toContain("got nothing");
    expect(configError({ ...base, when: "gold" }).field).toBe("when");
    expect(configError({ ...base, when: { header: "x plan", equals: "gold" } }).message).toContain(
      'when.header must be an HTTP header name, got "x plan"',
    );
    expect(configError({ ...base, when: { header: "x-plan", equals: "" } }).field).toBe("when.equals");
    expect(configError({ ...base, when: { header: "x-plan", equals: "a", is: "b" } }).field).toBe("when.is");
  });

  it("tells a bucket config given window fields which fields it takes", () => {
    const error = configError({
      algorithm: "token_bucket",
      scope: "client",
      store: "local",
      limit: 5,
      burst: 5,
    });

    expect(error.message).toBe(
      "invalid rate limiter config: limit is not a field of token_bucket, which takes ratePerSecond and burst",
    );
  });

  it("refuses a Redis store without a Redis client", () => {
    const config = {
      algorithm: "leaky_bucket",
      scope: "global",
      store: "redis",
      ratePerSecond: 1,
      burst: 1,
    } as const;

    expect(() => createLimiter(config)).toThrow('store "redis" needs a Redis client, got none');
  });
});

describe("local limiter", () => {
  it("keeps one quota per client key, and one for everybody when global", async () => {
    const window = { algorithm: "fixed_window", store: "local", limit: 2, windowMillis: 1000 } as const;
    const perClient = createLimiter({ ...window, scope: "client" });
    const global = createLimiter({ ...window, scope: "global" });

    const clientAnswers = [];
    const globalAnswers = [];
    for (const key of ["alice", "alice", "alice", "bob", "bob"]) {
      clientAnswers.push((await perClient.take(key, 0)).allowed);
      globalAnswers.push((await global.take(key, 0)).allowed);
    }

    expect(clientAnswers).toEqual([true, true, false, true, true]);
    expect(globalAnswers).toEqual([true, true, false, false, false]);
  });

  it("tracks at most maxKeys client keys, forgetting the least recently used", async () => {
    const config = {
      algorithm: "sliding_window",
      scope: "client",
      store: "local",
      limit: 1,
      windowMillis: 60_000,
    };
    const limiter = createLimiter(parseLimiterConfig(config), { maxKeys: 100 }) as LocalLimiter<
      unknown,
      unknown
    >;

    for (let i = 0; i < 1000; i++) await limiter.take(`ip:10.0.${i >> 8}.${i & 255}`, 0);

    expect(limiter.trackedKeys).toBe(100);
    expect((await limiter.take("ip:10.0.3.231", 2)).allowed).toBe(false);
    expect((await limiter.take("ip:10.0.0.0", 2)).allowed).toBe(true);
  });

  it("refuses a maxKeys that is not a positive integer", () => {
    const config = {
      algorithm: "fixed_window",
      scope: "client",
      store: "local",
      limit: 1,
      windowMillis: 1,
    } as const;

    expect(() => createLimiter(config, { maxKeys: 0 })).toThrow(InvalidLimiterConfigError);
  });
});
