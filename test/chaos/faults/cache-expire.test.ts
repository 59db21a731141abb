import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheExpire } from "../../../chaos/faults/cache-expire.js";
import { type FaultContext, seededRandom } from "../../../chaos/faults/context.js";
import { isFaultError } from "../../../chaos/faults/errors.js";
import type { NodeStatus } from "../../../chaos/supervisor/node-spec.js";
import { type RealServer, startRedis } from "../../helpers/servers.js";

let server: RealServer;
let redis: Redis;

function node(name: string, role: string, ports: Record<string, number>): NodeStatus {
  return {
    name,
    role,
    pid: 1,
    state: "healthy",
    host: "127.0.0.1",
    ports,
    restarts: 0,
    exitCode: null,
    exitSignal: null,
  };
}

function unit() {
  const context: FaultContext = {
    topology: {
      statuses: () => [
        node("redis-1", "redis", { redis: server.port }),
        node("gateway-1", "gateway", { http: 1 }),
      ],
      restart: async () => {},
      setStartEnvironment: () => {},
    },
    random: seededRandom(1),
  };
  return cacheExpire(context);
}

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis({ host: "127.0.0.1", port: server.port });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

describe("the cache_expire fault", () => {
  it("deletes a cached hot key at once, and verifies from Redis's reply that it was there to delete", async () => {
    await redis.set("catalog:product:1", '{"value":1}', "PX", 60_000);
    await redis.set("catalog:product:2", '{"value":2}', "PX", 60_000);
    const fault = unit();
    const injection = await fault.inject(
      { role: "redis" },
      { keys: ["catalog:product:1"] },
      new AbortController().signal,
    );
    expect(await redis.exists("catalog:product:1")).toBe(0);
    expect(await redis.exists("catalog:product:2")).toBe(1);
    expect(await fault.verify(injection)).toEqual({
      tookEffect: true,
      evidence: "1 key(s) deleted on redis-1",
    });
    await fault.heal(injection);
    await fault.heal(injection);
  });

  it("says it did not take effect when a named key was not cached: there was no hot key to expire", async () => {
    const fault = unit();
    const injection = await fault.inject(
      { node: "redis-1" },
      { keys: ["catalog:product:404"] },
      new AbortController().signal,
    );
    expect(await fault.verify(injection)).toMatchObject({
      tookEffect: false,
      evidence: expect.stringMatching(/not cached on redis-1.*catalog:product:404/),
    });
  });

  it("sweeps every key matching a pattern, leaving the others, and accepts an already cold cache", async () => {
    const entries = Array.from({ length: 1200 }, (_, i) => [`catalog:product:${i}`, "{}"]).flat();
    await redis.mset(...entries);
    await redis.set("catalog:bloom:product-ids", "bits");
    const fault = unit();
    const injection = await fault.inject(
      { role: "redis" },
      { match: "catalog:product:*" },
      new AbortController().signal,
    );
    expect(await redis.keys("catalog:product:*")).toEqual([]);
    expect(await redis.exists("catalog:bloom:product-ids")).toBe(1);
    expect(await fault.verify(injection)).toEqual({
      tookEffect: true,
      evidence: "1200 key(s) deleted on redis-1",
    });
    const again = await fault.inject(
      { role: "redis" },
      { match: "catalog:product:*" },
      new AbortController().signal,
    );
    expect(await fault.verify(again)).toEqual({ tookEffect: true, evidence: "0 key(s) deleted on redis-1" });
  });

  it("refuses a target without a Redis port before touching anything", async () => {
    const error = await unit()
      .inject({ node: "gateway-1" }, { keys: ["k"] }, new AbortController().signal)
      .catch((e: unknown) => e);
    expect(isFaultError(error) && error.code).toBe("SHAKEDOWN_FAULT_TARGET");
    expect(String(error)).toMatch(/gateway-1 has no redis port/);
  });
});
