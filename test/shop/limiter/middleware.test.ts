import type { Server } from "node:http";
import express, { type RequestHandler } from "express";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { registry, switchboard } from "../../../agents/index.js";
import {
  createLimiter,
  type LimiterConfig,
  type RateLimitOptions,
  rateLimit,
} from "../../../fixtures/shop/limiter/index.js";
import { type RealServer, startRedis } from "../../helpers/servers.js";

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An app on port 0 behind the given limiters; `x-user` plays the auth middleware's `res.locals.subject`. */
async function serve(...limiters: RequestHandler[]): Promise<string> {
  const app = express();
  app.use((request, response, next) => {
    const user = request.header("x-user");
    if (user !== undefined) response.locals.subject = user;
    next();
  });
  app.use(...limiters);
  app.get("/products/:id", (request, response) => {
    response.json({ id: request.params.id });
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
}

/** `count` requests one after another: a flood bounded in count. */
async function flood(url: string, count: number, user?: string): Promise<Response[]> {
  const responses: Response[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/products/1`, {
      headers: user === undefined ? {} : { "x-user": user },
    });
    await response.arrayBuffer();
    responses.push(response);
  }
  return responses;
}

async function decisionCount(decision: "admitted" | "limited"): Promise<number> {
  const metric = await registry.getSingleMetric("shakedown_defense_decisions_total")?.get();
  const value = metric?.values.find(
    (v) => v.labels.defense === "rate_limiter" && v.labels.decision === decision,
  );
  return value?.value ?? 0;
}

const FIVE_PER_MINUTE: LimiterConfig = {
  algorithm: "sliding_window",
  scope: "client",
  store: "local",
  limit: 5,
  windowMillis: 60_000,
};

describe("rateLimit middleware", () => {
  it("answers a flood past the quota with 429, Retry-After, RateLimit headers and a quota-exceeded problem", async () => {
    const url = await serve(rateLimit(createLimiter(FIVE_PER_MINUTE)));
    const limitedBefore = await decisionCount("limited");

    const responses = await flood(url, 20);

    expect(responses.map((r) => r.status)).toEqual([...Array(5).fill(200), ...Array(15).fill(429)]);
    const [first, , , , fifth, sixth] = responses;
    expect(first?.headers.get("ratelimit-policy")).toBe('"client";q=5;w=60');
    expect(first?.headers.get("ratelimit")).toBe('"client";r=4;t=60');
    expect(fifth?.headers.get("ratelimit")).toMatch(/^"client";r=0;t=(59|60)$/);
    expect(sixth?.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect(sixth?.headers.get("ratelimit-policy")).toBe('"client";q=5;w=60');
    expect(sixth?.headers.get("ratelimit")).toMatch(/^"client";r=0;t=(59|60)$/);
    const retryAfter = Number(sixth?.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(await decisionCount("limited")).toBe(limitedBefore + 15);
  });

  it("describes the violated policy in an RFC 9457 problem body", async () => {
    const url = await serve(rateLimit(createLimiter(FIVE_PER_MINUTE)));
    await flood(url, 5);

    const response = await fetch(`${url}/products/1`);

    expect(await response.json()).toEqual({
      type: "https://iana.org/assignments/http-problem-types#quota-exceeded",
      title: "Request cannot be satisfied as assigned quota has been exceeded",
      status: 429,
      detail: expect.stringMatching(
        /^per-client quota "client" of 5 requests per 60000 ms is spent; retry after \d+ s$/,
      ),
      "violated-policies": ["client"],
    });
  });

  it("with the rate_limiter switch off, the same flood gets no 429 (negative control)", async () => {
    const url = await serve(rateLimit(createLimiter(FIVE_PER_MINUTE)));
    const toggle = switchboard.define("rate_limiter");
    toggle.set(false);
    try {
      const responses = await flood(url, 20);

      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(responses.every((r) => r.headers.get("ratelimit") === null)).toBe(true);
    } finally {
      toggle.set(true);
    }
    expect((await flood(url, 6)).map((r) => r.status)).toEqual([...Array(5).fill(200), 429]);
  });

  it("applies a policy with `when` only to requests whose header has its value; others spend nothing", async () => {
    const plan = { header: "x-shop-plan", equals: "basic" };
    const url = await serve(rateLimit(createLimiter({ ...FIVE_PER_MINUTE, scope: "global", when: plan })));
    const request = (headers: Record<string, string>) =>
      fetch(`${url}/products/1`, { headers }).then(async (response) => {
        await response.arrayBuffer();
        return response;
      });

    const unmatched = [];
    for (const headers of [{}, { "X-Shop-Plan": "gold" }, {}, {}, {}, {}, {}] as Record<string, string>[])
      unmatched.push(await request(headers));
    const matched = [];
    for (let i = 0; i < 6; i++) matched.push(await request({ "X-Shop-Plan": "basic" }));

    expect(unmatched.map((r) => r.status)).toEqual(Array(7).fill(200));
    expect(unmatched.every((r) => r.headers.get("ratelimit") === null)).toBe(true);
    expect(matched.map((r) => r.status)).toEqual([...Array(5).fill(200), 429]);
  });

  it("gives each authenticated user a quota of their own, and a global policy one for everybody", async () => {
    const perUser = await serve(rateLimit(createLimiter(FIVE_PER_MINUTE)));
    const global = await serve(rateLimit(createLimiter({ ...FIVE_PER_MINUTE, scope: "global" })));

    const perUserStatuses = [...(await flood(perUser, 6, "alice")), ...(await flood(perUser, 1, "bob"))];
    const globalStatuses = [...(await flood(global, 5, "alice")), ...(await flood(global, 1, "bob"))];

    expect(perUserStatuses.map((r) => r.status)).toEqual([...Array(5).fill(200), 429, 200]);
    expect(globalStatuses.map((r) => r.status)).toEqual([...Array(5).fill(200), 429]);
  });

  it("stacks a per-client and a global limiter, each adding its item to the RateLimit fields", async () => {
    const url = await serve(
      rateLimit(createLimiter({ ...FIVE_PER_MINUTE, name: "per-user" })),
      rateLimit(
        createLimiter({
          algorithm: "token_bucket",
          scope: "global",
          store: "local",
          ratePerSecond: 10,
          burst: 20,
        }),
      ),
    );

    const [response] = await flood(url, 1, "alice");

    expect(response?.headers.get("ratelimit-policy")).toBe('"per-user";q=5;w=60, "global";q=20;w=2');
    expect(response?.headers.get("ratelimit")).toBe('"per-user";r=4;t=60, "global";r=19;t=1');
  });
});

describe("rateLimit middleware when Redis dies mid-flood", () => {
  async function redisBacked(options: RateLimitOptions): Promise<{ url: string; redis: RealServer }> {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const client = new Redis({ host: redis.host, port: redis.port });
    // Refused reconnects arrive as events; what callers see is the limiter's timeout.
    client.on("error", () => undefined);
    cleanups.push(() => client.disconnect());
    const limiter = createLimiter(
      { algorithm: "sliding_window", scope: "global", store: "redis", limit: 3, windowMillis: 60_000 },
      { redis: client, timeoutMillis: 100 },
    );
    return { url: await serve(rateLimit(limiter, options)), redis };
  }

  it("fails open: requests are admitted, with the policy but no available quota advertised", async () => {
    const { url, redis } = await redisBacked({});
    const before = (await flood(url, 4)).map((r) => r.status);
    const admittedBefore = await decisionCount("admitted");

    await redis.kill();
    const after = await flood(url, 5);

    expect(before).toEqual([200, 200, 200, 429]);
    expect(after.map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(after[0]?.headers.get("ratelimit-policy")).toBe('"global";q=3;w=60');
    expect(after[0]?.headers.get("ratelimit")).toBeNull();
    expect(await decisionCount("admitted")).toBe(admittedBefore + 5);
  });

  it("fails closed when so configured: 503 with a temporary-reduced-capacity problem and Retry-After", async () => {
    const { url, redis } = await redisBacked({ onStoreError: "closed" });
    const before = (await flood(url, 3)).map((r) => r.status);

    await redis.kill();
    const [after] = await flood(url, 1);
    const problem = (await (await fetch(`${url}/products/1`)).json()) as Record<string, unknown>;

    expect(before).toEqual([200, 200, 200]);
    expect(after?.status).toBe(503);
    expect(after?.headers.get("retry-after")).toBe("1");
    expect(problem).toMatchObject({
      type: "https://iana.org/assignments/http-problem-types#temporary-reduced-capacity",
      status: 503,
      "violated-policies": ["global"],
    });
    expect(problem.detail).toEqual(expect.stringContaining("no answer within 100 ms"));
  });
});
