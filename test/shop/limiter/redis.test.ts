import { createServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ALGORITHMS,
  type AlgorithmName,
  createLimiter,
  type LimiterConfig,
  LimiterStoreError,
  type RateLimiter,
} from "../../../fixtures/shop/limiter/index.js";
import { type RealServer, startRedis } from "../../helpers/servers.js";
import { burstyArrivals, feed, type Shape } from "./arrivals.js";

let server: RealServer;
const clients: Redis[] = [];

function client(port = server.port): Redis {
  const redis = new Redis({ host: "127.0.0.1", port });
  // A refused reconnect is reported as an event; the limiter's own timeout is what callers see.
  redis.on("error", () => undefined);
  clients.push(redis);
  return redis;
}

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const redis of clients) redis.disconnect();
  await server?.stop();
});

// Each algorithm with a quota of 50 that does not refill within a test run (the day-long fixed window
// rolls over only if a run straddles midnight UTC).
const QUOTA_OF_50: Record<AlgorithmName, LimiterConfig> = {
  fixed_window: {
    algorithm: "fixed_window",
    scope: "global",
    store: "redis",
    limit: 50,
    windowMillis: 86_400_000,
  },
  sliding_window: {
    algorithm: "sliding_window",
    scope: "global",
    store: "redis",
    limit: 50,
    windowMillis: 86_400_000,
  },
  leaky_bucket: {
    algorithm: "leaky_bucket",
    scope: "global",
    store: "redis",
    ratePerSecond: 0.0001,
    burst: 50,
  },
  token_bucket: {
    algorithm: "token_bucket",
    scope: "global",
    store: "redis",
    ratePerSecond: 0.0001,
    burst: 50,
  },
};

// Windows and rates whose state lives at least 125 ms of simulated time: real time between two calls is far
// shorter, so Redis never expires a key (in real time) that the local limiter still holds (in simulated time).
const SIMULATED: Record<AlgorithmName, Shape> = {
  fixed_window: { algorithm: "fixed_window", limit: 3, windowMillis: 2000 },
  sliding_window: { algorithm: "sliding_window", limit: 3, windowMillis: 2000 },
  leaky_bucket: { algorithm: "leaky_bucket", ratePerSecond: 2, burst: 5 },
  token_bucket: { algorithm: "token_bucket", ratePerSecond: 2, burst: 5 },
};

describe.each(Object.keys(ALGORITHMS) as AlgorithmName[])("%s in Redis", (algorithm) => {
  it("decides exactly as the local limiter on the same arrivals", async () => {
    const config = SIMULATED[algorithm];
    const keyPrefix = `equal:${algorithm}:`;
    const shared = createLimiter({ ...config, scope: "client", store: "redis" } as LimiterConfig, {
      redis: client(),
      keyPrefix,
    });
    const local = createLimiter({ ...config, scope: "client", store: "local" } as LimiterConfig);
    const arrivals = burstyArrivals(7, 600, ["alice", "bob", "carol"]);

    const inRedis = await feed(shared, arrivals);
    const inMemory = await feed(local, arrivals);

    expect(inRedis).toEqual(inMemory);
    expect(inRedis.filter((d) => d.allowed).length).toBeGreaterThan(50);
    expect(inRedis.filter((d) => !d.allowed).length).toBeGreaterThan(50);
  });

  it("lets two gateways with their own Redis clients share one global quota exactly", async () => {
    const keyPrefix = `shared:${algorithm}:`;
    const gatewayA = createLimiter(QUOTA_OF_50[algorithm], { redis: client(), keyPrefix });
    const gatewayB = createLimiter(QUOTA_OF_50[algorithm], { redis: client(), keyPrefix });

    // 150 requests through each gateway at once, interleaved on two connections, on Redis's clock.
    const flood = (limiter: RateLimiter) =>
      Array.from({ length: 150 }, (_, i) => limiter.take(`ip:10.0.0.${i}`));
    const decisions = await Promise.all([...flood(gatewayA), ...flood(gatewayB)]);

    expect(decisions.filter((d) => d.allowed).length).toBe(50);
  });
});

describe("distributed limiting", () => {
  it("two gateways with local limiters each admit the whole quota: twice the global limit", async () => {
    const config = { ...QUOTA_OF_50.sliding_window, store: "local" } as LimiterConfig;
    const gatewayA = createLimiter(config);
    const gatewayB = createLimiter(config);

    const decisions = await Promise.all(
      Array.from({ length: 150 }, (_, i) => [gatewayA.take(`${i}`), gatewayB.take(`${i}`)]).flat(),
    );

    expect(decisions.filter((d) => d.allowed).length).toBe(100);
  });

  it("keeps a key only while its state differs from a fresh key's", async () => {
    const redis = client();
    const window = createLimiter(
      { algorithm: "sliding_window", scope: "client", store: "redis", limit: 5, windowMillis: 60_000 },
      { redis, keyPrefix: "ttl:" },
    );
    const bucket = createLimiter(
      { algorithm: "token_bucket", scope: "client", store: "redis", ratePerSecond: 20, burst: 2 },
      { redis, keyPrefix: "ttl:" },
    );

    await window.take("alice");
    await bucket.take("alice");

    const windowTtl = await redis.pttl("ttl:client:sliding_window:alice");
    expect(windowTtl).toBeGreaterThan(50_000);
    expect(windowTtl).toBeLessThanOrEqual(60_000);
    // One token spent refills in 50 ms; then the key is gone. Poll for up to 5 s.
    const deadline = Date.now() + 5000;
    while ((await redis.exists("ttl:client:token_bucket:alice")) === 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await redis.exists("ttl:client:token_bucket:alice")).toBe(0);
  });

  it("loads its script again after Redis forgot it", async () => {
    const redis = client();
    const limiter = createLimiter(
      { algorithm: "fixed_window", scope: "client", store: "redis", limit: 3, windowMillis: 60_000 },
      { redis, keyPrefix: "flush:" },
    );
    await limiter.take("alice", 0);

    await redis.script("FLUSH");

    expect(await limiter.take("alice", 1)).toMatchObject({ allowed: true, remaining: 1 });
  });

  it("does not blame Redis for its own event loop's lag: a reply waiting past the deadline still counts", async () => {
    const redis = client();
    await redis.ping();
    const limiter = createLimiter(
      { algorithm: "token_bucket", scope: "global", store: "redis", ratePerSecond: 1, burst: 1 },
      { redis, keyPrefix: "lag:", timeoutMillis: 20 },
    );

    const decision = limiter.take("alice");
    // The command is on the wire; the process then stays busy far past the deadline, as a gateway under a
    // flood may, while Redis answers at once. Its expired timer runs before the reply is read.
    const busyUntil = Date.now() + 1000;
    while (Date.now() < busyUntil);

    await expect(decision).resolves.toMatchObject({ allowed: true });
  });

  it("fails with LimiterStoreError naming the store when Redis does not answer in time", async () => {
    // A peer that accepts connections and never answers: a hung Redis.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const limiter = createLimiter(
        { algorithm: "token_bucket", scope: "global", store: "redis", ratePerSecond: 1, burst: 1 },
        { redis: client(port), timeoutMillis: 100 },
      );

      const failure = limiter.take("alice");

      await expect(failure).rejects.toThrow(LimiterStoreError);
      await expect(failure).rejects.toThrow(
        `rate limiter "global": store redis 127.0.0.1:${port} failed: no answer within 100 ms`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
