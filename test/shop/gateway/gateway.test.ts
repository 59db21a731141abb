import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../chaos/ports.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../../collector/collector.js";
import { DEGRADED_HEADER, POPULAR_PRODUCT_IDS } from "../../../fixtures/shop/gateway/recommendations.js";
import { etcdNode, gatewayNode, redisNode, serviceNode } from "../../../fixtures/shop/topology/nodes.js";
import { type FakeOrders, startFakeOrders } from "./fake-orders.js";

const SECRET = "gateway-test-secret-gateway-test-secret";
const STRICT_LIMITS = [
  { name: "strict", algorithm: "token_bucket", scope: "client", store: "redis", ratePerSecond: 1, burst: 5 },
];

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  "invalid-params"?: { name: string; reason: string }[];
}

/** One sample of a Prometheus text exposition whose labels include `labels`; 0 when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)\{([^}]*)\} (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return 0;
}

/** Calls `probe` every 100 ms until it returns a value, at most `tries` times. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, tries = 100): Promise<T> {
  for (let attempt = 0; attempt < tries; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${tries} tries`);
}

describe("the gateway in a supervised topology", () => {
  const supervisor = new Supervisor();
  let collector: Collector;
  let orders: FakeOrders;
  let redis: Redis;
  const ports: Record<string, number> = {};
  const url = (node: "gateway1" | "gateway2", path: string) => `http://127.0.0.1:${ports[node]}${path}`;
  const admin = (node: string, path: string) => `http://127.0.0.1:${ports[`${node}Admin`]}${path}`;
  const tokens: Record<string, string> = {};

  const get = (node: "gateway1" | "gateway2", path: string, user = "alice", headers = {}) =>
    fetch(url(node, path), { headers: { authorization: `Bearer ${tokens[user]}`, ...headers } });
  const placeOrder = (body: string, headers: Record<string, string>, user = "alice") =>
    fetch(url("gateway1", "/orders"), {
      method: "POST",
      headers: { authorization: `Bearer ${tokens[user]}`, "content-type": "application/json", ...headers },
      body,
    });
  const problem = async (response: Response): Promise<Problem> => {
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    return (await response.json()) as Problem;
  };
  const setSwitch = async (node: string, name: string, enabled: boolean) => {
    const response = await fetch(admin(node, `/control/switches/${name}`), {
      method: "PUT",
      body: JSON.stringify({ enabled }),
    });
    expect(response.status).toBe(200);
  };
  const setFault = async (node: string, fault: object | null) => {
    const response = await fetch(admin(node, "/control/fault"), {
      method: fault === null ? "DELETE" : "PUT",
      body: fault === null ? undefined : JSON.stringify(fault),
    });
    expect(response.ok).toBe(true);
  };
  const metrics = async (node: string) => (await fetch(admin(node, "/metrics"))).text();

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "shakedown-gateway-"));
    collector = await startCollector({
      ...DEFAULT_COLLECTOR_OPTIONS,
      dbPath: join(dataDir, "collector.db"),
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      apiPort: 0,
    });
    for (const name of ["redis", "etcdClient", "etcdPeer", "catalog", "catalogAdmin", "recs", "recsAdmin"]) {
      ports[name] = await freePort();
    }
    for (const name of ["gateway1", "gateway1Admin", "gateway2", "gateway2Admin"])
      ports[name] = await freePort();
    const etcd = {
      name: "etcd-1",
      clientPort: ports.etcdClient as number,
      peerPort: ports.etcdPeer as number,
    };
    const etcdEndpoint = `http://127.0.0.1:${etcd.clientPort}`;
    const redisUrl = `redis://127.0.0.1:${ports.redis}`;
    const common = {
      dataDir,
      otlpEndpoint: collector.urls.otlpHttp,
      env: { SHOP_REDIS_URL: redisUrl, SHOP_ETCD_ENDPOINTS: etcdEndpoint },
      dependsOn: ["redis-1", "etcd-1"],
    };
    await supervisor.start([
      redisNode("redis-1", dataDir, ports.redis as number),
      etcdNode(etcd, [etcd], dataDir),
      serviceNode({
        ...common,
        service: "catalog",
        grpcService: "Catalog",
        instanceId: "catalog-1",
        grpcPort: ports.catalog as number,
        adminPort: ports.catalogAdmin as number,
      }),
      serviceNode({
        ...common,
        service: "recommendations",
        grpcService: "Recommendations",
        instanceId: "recommendations-1",
        grpcPort: ports.recs as number,
        adminPort: ports.recsAdmin as number,
      }),
    ]);
    orders = await startFakeOrders(etcdEndpoint);
    redis = new Redis(redisUrl);
    const gatewayEnv = { ...common.env, SHOP_JWT_SECRET: SECRET };
    await supervisor.start([
      gatewayNode({
        instanceId: "gateway-1",
        httpPort: ports.gateway1 as number,
        adminPort: ports.gateway1Admin as number,
        otlpEndpoint: collector.urls.otlpHttp,
        env: {
          ...gatewayEnv,
          SHOP_RECOMMENDATIONS_BREAKER: JSON.stringify({ consecutiveFailures: 3, halfOpenAfterMillis: 1500 }),
        },
        dependsOn: [],
      }),
      gatewayNode({
        instanceId: "gateway-2",
        httpPort: ports.gateway2 as number,
        adminPort: ports.gateway2Admin as number,
        otlpEndpoint: collector.urls.otlpHttp,
        env: { ...gatewayEnv, SHOP_RATE_LIMITS: JSON.stringify(STRICT_LIMITS) },
        dependsOn: [],
      }),
    ]);
    for (const user of ["alice", "bob"]) {
      const response = await fetch(url("gateway1", "/auth/token"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: user, password: user }),
      });
      tokens[user] = ((await response.json()) as { token: string }).token;
    }
  });

  afterAll(async () => {
    redis?.disconnect();
    // Before etcd stops, so that its lease is revoked rather than left to expire.
    await orders?.stop();
    await supervisor.stopAll();
    await collector?.close();
  });

  it("issues a token and serves a product read through catalog end to end", async () => {
    expect(tokens.alice).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const response = await get("gateway1", "/products/7");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      product: {
        id: "7",
        name: expect.any(String),
        priceCents: expect.any(Number),
        category: expect.any(String),
      },
    });
    expect(response.headers.get("ratelimit-policy")).toBe('"client";q=1000;w=2');

    const page = await get("gateway1", "/products?page=2&pageSize=10");
    expect(page.status).toBe(200);
    const body = (await page.json()) as { products: { id: string }[]; total: number; page: number };
    expect(body.products.map((p) => p.id)).toEqual([
      "11",
      "12",
      "13",
      "14",
      "15",
      "16",
      "17",
      "18",
      "19",
      "20",
    ]);
    expect(body).toMatchObject({ total: 200, page: 2, pageSize: 10 });
  });

  it("refuses a missing, an expired and an alg:none token with 401 problem details", async () => {
    const none = await fetch(url("gateway1", "/orders/order-1"));
    expect(none.status).toBe(401);
    expect((await problem(none)).detail).toMatch(/Authorization: Bearer/);
    const anonymousBrowsing = await fetch(url("gateway1", "/products/1"));
    expect(anonymousBrowsing.status).toBe(200);

    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u-alice")
      .setIssuer("shakedown-shop")
      .setIssuedAt(now - 600)
      .setExpirationTime(now - 300)
      .sign(new TextEncoder().encode(SECRET));
    const late = await fetch(url("gateway1", "/products/1"), {
      headers: { authorization: `Bearer ${expired}` },
    });
    expect(late.status).toBe(401);
    expect((await problem(late)).detail).toMatch(/expired/);

    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "u-alice", iss: "shakedown-shop" })}.`;
    const forged = await fetch(url("gateway1", "/orders/order-1"), {
      headers: { authorization: `Bearer ${unsigned}` },
    });
    expect(forged.status).toBe(401);
  });

  it("answers an unknown product and an unknown route with 404, a bad page with 400 naming it", async () => {
    const unknown = await get("gateway1", "/products/999999");
    expect(unknown.status).toBe(404);
    expect(await problem(unknown)).toMatchObject({ status: 404, detail: "product 999999 does not exist" });

    const route = await get("gateway1", "/nowhere");
    expect(route.status).toBe(404);
    expect((await problem(route)).type).toBe("urn:shakedown:shop:no-route");

    const page = await get("gateway1", "/products?page=zero");
    expect(page.status).toBe(400);
    expect((await problem(page))["invalid-params"]?.[0]?.name).toBe("page");
  });

  it("places an order: 201 once, the same answer with Idempotent-Replayed on replay, 409 for another body", async () => {
    const body = JSON.stringify({ items: [{ productId: "3", quantity: 2 }] });
    const first = await placeOrder(body, { "Idempotency-Key": "checkout-1" });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const placed = (await first.json()) as { orderId: string; order: { id: string; userId: string } };
    expect(placed.order).toMatchObject({ id: placed.orderId, userId: "u-alice", status: "placed" });
    expect(first.headers.get("location")).toBe(`/orders/${placed.orderId}`);

    const replay = await placeOrder(body, { "Idempotency-Key": "checkout-1" });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(placed);

    const reused = await placeOrder(JSON.stringify({ items: [{ productId: "3", quantity: 5 }] }), {
      "Idempotency-Key": "checkout-1",
    });
    expect(reused.status).toBe(409);
    expect((await problem(reused)).detail).toMatch(/different order/);

    const soldOut = await placeOrder(JSON.stringify({ items: [{ productId: "1", quantity: 1000 }] }), {
      "Idempotency-Key": "checkout-2",
    });
    expect(soldOut.status).toBe(409);
    expect((await problem(soldOut)).detail).toMatch(/only \d+ of product 1 left/);

    const mine = await get("gateway1", `/orders/${placed.orderId}`);
    expect(mine.status).toBe(200);
    expect(await mine.json()).toEqual({ order: placed.order });
  });

  it("answers another user's order and an unknown order alike, with 404", async () => {
    const placed = await placeOrder(JSON.stringify({ items: [{ productId: "4", quantity: 1 }] }), {
      "Idempotency-Key": "alice-private",
    });
    const { orderId } = (await placed.json()) as { orderId: string };
    const theirs = await get("gateway1", `/orders/${orderId}`, "bob");
    expect(theirs.status).toBe(404);
    const missing = await get("gateway1", "/orders/order-none", "bob");
    expect(missing.status).toBe(404);
    expect((await problem(theirs)).detail).toBe(`order ${orderId} does not exist`);
    expect((await problem(missing)).detail).toBe("order order-none does not exist");
  });

  it("refuses malformed JSON, a missing or overlong Idempotency-Key and a bad item with 400 before calling orders", async () => {
    const before = orders.calls.PlaceOrder;
    const malformed = await placeOrder('{"items": [', { "Idempotency-Key": "k-malformed" });
    expect(malformed.status).toBe(400);
    expect((await problem(malformed)).detail).toMatch(/not valid JSON/);

    const valid = JSON.stringify({ items: [{ productId: "2", quantity: 1 }] });
    const keyless = await placeOrder(valid, {});
    expect(keyless.status).toBe(400);
    expect((await problem(keyless))["invalid-params"]?.[0]?.name).toBe("Idempotency-Key");
    const overlong = await placeOrder(valid, { "Idempotency-Key": "k".repeat(129) });
    expect(overlong.status).toBe(400);
    expect((await problem(overlong)).detail).toMatch(/^Idempotency-Key must be 1 to 128/);

    const badItem = await placeOrder(JSON.stringify({ items: [{ productId: "2", quantity: 0 }] }), {
      "Idempotency-Key": "k-bad-item",
    });
    expect(badItem.status).toBe(400);
    expect(await problem(badItem)).toMatchObject({
      detail: "items[0].quantity must be an integer from 1 to 1000, got 0",
      "invalid-params": [{ name: "items[0].quantity" }],
    });
    expect(orders.calls.PlaceOrder).toBe(before);
  });

  it("sends PlaceOrder once when orders answers UNAVAILABLE (503, Retry-After), but retries the idempotent GetOrder", async () => {
    orders.failing.add("k-failing");
    orders.failing.add("order-failing");
    const before = { ...orders.calls };
    const failed = await placeOrder(JSON.stringify({ items: [{ productId: "2", quantity: 1 }] }), {
      "Idempotency-Key": "k-failing",
    });
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toBe("1");
    expect((await problem(failed)).type).toBe("urn:shakedown:shop:upstream-unavailable");
    expect(orders.calls.PlaceOrder - before.PlaceOrder).toBe(1);

    const read = await get("gateway1", "/orders/order-failing");
    expect(read.status).toBe(503);
    expect(orders.calls.GetOrder - before.GetOrder).toBe(3);
    orders.failing.clear();
    // A success ends the run of failures, so the orders breaker and outlier detection start afresh.
    expect((await get("gateway1", "/orders/order-1")).status).toBe(200);
  });

  it("answers /healthz without a token, and 503 naming orders while orders has no endpoint", async () => {
    const healthy = await fetch(url("gateway1", "/healthz"));
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toEqual({
      status: "ok",
      endpoints: { catalog: 1, orders: 1, recommendations: 1 },
      missing: [],
    });

    await orders.deregister();
    const down = await until("orders leaving the gateway's registry view", async () => {
      const response = await fetch(url("gateway1", "/healthz"));
      return response.status === 503 ? ((await response.json()) as { missing: string[] }) : undefined;
    });
    expect(down).toMatchObject({ status: "unavailable", missing: ["orders"] });
    const refused = await placeOrder(JSON.stringify({ items: [{ productId: "2", quantity: 1 }] }), {
      "Idempotency-Key": "k-no-endpoints",
    });
    expect(refused.status).toBe(503);
    expect((await problem(refused)).type).toBe("urn:shakedown:shop:no-endpoints");

    await orders.reregister();
    await until("orders coming back", async () =>
      (await fetch(url("gateway1", "/healthz"))).status === 200 ? true : undefined,
    );
  });

  it("injects an in-process fault into one gateway route through its admin /control/fault", async () => {
    await setFault("gateway1", { errorRate: 1, operations: ["GET /products/:id"] });
    const failed = await get("gateway1", "/products/1");
    expect(failed.status).toBe(503);
    expect((await problem(failed)).type).toBe("urn:shakedown:shop:injected-fault");
    expect((await get("gateway1", "/products?page=1")).status).toBe(200);
    await setFault("gateway1", null);
    expect((await get("gateway1", "/products/1")).status).toBe(200);
  });

  describe("rate limiting (gateway-2: token bucket, burst 5, 1/s per user, in Redis)", () => {
    const flood = async (user: string, count: number) => {
      const started = Date.now();
      const responses = await Promise.all(
        Array.from({ length: count }, () => get("gateway2", "/products/1", user)),
      );
      for (const response of responses) await response.arrayBuffer();
      return { responses, elapsedMillis: Date.now() - started };
    };

    it("answers a user flooding past the quota with 429, Retry-After and RateLimit headers, and still admits another user", async () => {
      const { responses, elapsedMillis } = await flood("bob", 30);
      const limited = responses.filter((r) => r.status === 429);
      const admitted = responses.filter((r) => r.status === 200);
      expect(limited.length + admitted.length).toBe(30);
      expect(limited.length).toBeGreaterThan(0);
      // A token bucket admits its burst plus its refill over the flood's duration, and nothing more.
      expect(admitted.length).toBeLessThanOrEqual(5 + Math.ceil(elapsedMillis / 1000));
      for (const response of limited) {
        expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect(response.headers.get("ratelimit")).toMatch(/^"strict";r=0;t=\d+$/);
        expect(response.headers.get("ratelimit-policy")).toBe('"strict";q=5;w=5');
        expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      }
      expect(await redis.exists("shakedown:ratelimit:strict:token_bucket:user:u-bob")).toBe(1);

      const other = await get("gateway2", "/products/1", "alice");
      expect(other.status).toBe(200);
    });

    it("never refuses the same flood while the rate_limiter switch is off (negative control)", async () => {
      await setSwitch("gateway2", "rate_limiter", false);
      try {
        const { responses } = await flood("bob", 30);
        expect(responses.map((r) => r.status)).toEqual(Array(30).fill(200));
        expect(responses.every((r) => r.headers.get("ratelimit") === null)).toBe(true);
      } finally {
        await setSwitch("gateway2", "rate_limiter", true);
      }
      expect((await get("gateway2", "/products/1", "bob")).status).toBe(429);
    });
  });

  describe("recommendations behind a breaker with a fallback", () => {
    const calledAtCallee = async () =>
      sample(await metrics("recs"), "shakedown_defense_decisions_total", {
        defense: "fault",
        decision: "failed",
      });
    const recommend = async () => {
      const response = await get("gateway1", "/recommendations");
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { productIds: string[]; degraded: boolean; reason?: string };
      // The header a load generator records says the same as the body.
      expect(response.headers.get(DEGRADED_HEADER)).toBe(answer.reason ?? null);
      return answer;
    };

    // The gateway's recommendations client has no outlier ejection, so the breaker switch alone decides
    // whether failing calls keep reaching the callee.
    afterAll(() => setFault("recs", null));

    it("serves the service's own answer, not degraded, while recommendations is healthy", async () => {
      const answer = await recommend();
      expect(answer.degraded).toBe(false);
      expect(answer.reason).toBeUndefined();
      expect(answer.productIds).toHaveLength(5);
      expect(answer.productIds).not.toEqual(POPULAR_PRODUCT_IDS.slice(0, 5));
    });

    it("falls back to the popular list when the callee fails, stops calling it while the breaker is open, and closes after the fault clears", async () => {
      await setFault("recs", { errorRate: 1, operations: ["Recommend"] });
      const before = await calledAtCallee();
      const answers = [];
      for (let i = 0; i < 12; i++) answers.push(await recommend());
      const reached = await calledAtCallee();
      for (const answer of answers) {
        expect(answer).toMatchObject({ degraded: true, productIds: POPULAR_PRODUCT_IDS.slice(0, 5) });
      }
      const refused = answers.filter((a) => a.reason === "circuit_open").length;
      expect(answers.slice(0, 3).map((a) => a.reason)).toEqual(["unavailable", "unavailable", "unavailable"]);
      expect(refused).toBeGreaterThan(0);
      // Every request the breaker refused never reached the callee; every other one did.
      expect(reached - before).toBe(answers.length - refused);
      const open = await metrics("gateway1");
      expect(sample(open, "shakedown_rpc_circuit_breaker_state", { peer_service: "recommendations" })).toBe(
        1,
      );
      expect(
        sample(open, "shakedown_defense_decisions_total", { defense: "fallback", decision: "served" }),
      ).toBe(12);

      await setFault("recs", null);
      const recovered = await until("the breaker closing", async () => {
        const answer = await recommend();
        return answer.degraded ? undefined : answer;
      });
      expect(recovered.productIds).toHaveLength(5);
      const closed = await metrics("gateway1");
      expect(sample(closed, "shakedown_rpc_circuit_breaker_state", { peer_service: "recommendations" })).toBe(
        0,
      );
      for (const decision of ["opened", "half_opened", "closed"]) {
        expect(
          sample(closed, "shakedown_defense_decisions_total", { defense: "rpc.circuit_breaker", decision }),
        ).toBeGreaterThanOrEqual(1);
      }
    });

    it("lets every request reach the failing callee while the rpc.circuit_breaker switch is off (negative control)", async () => {
      await setSwitch("gateway1", "rpc.circuit_breaker", false);
      await setFault("recs", { errorRate: 1, operations: ["Recommend"] });
      try {
        const before = await calledAtCallee();
        const answers = [];
        for (let i = 0; i < 12; i++) answers.push(await recommend());
        expect(answers.map((a) => a.reason)).toEqual(Array(12).fill("unavailable"));
        expect((await calledAtCallee()) - before).toBe(12);
      } finally {
        await setFault("recs", null);
        await setSwitch("gateway1", "rpc.circuit_breaker", true);
      }
    });

    it("answers a failing call with 503 instead of the popular list while the fallback switch is off (negative control)", async () => {
      await setSwitch("gateway1", "fallback", false);
      await setFault("recs", { errorRate: 1, operations: ["Recommend"] });
      try {
        const response = await get("gateway1", "/recommendations");
        expect(response.status).toBe(503);
        expect((await problem(response)).type).toBe("urn:shakedown:shop:upstream-unavailable");
      } finally {
        await setFault("recs", null);
        await setSwitch("gateway1", "fallback", true);
      }
      expect((await recommend()).degraded).toBe(false);
    });
  });

  it("leaves one trace per request from the gateway into catalog, and the fallback decision as a span event", async () => {
    interface Span {
      service: string;
      parentSpanId: string | null;
      events: { name: string; attributes: Record<string, unknown> }[];
    }
    const api = (path: string) => fetch(`${collector.urls.api}${path}`).then((r) => r.json());
    const trace = async (route: string, service: string) =>
      until(`a trace of ${route} reaching ${service}`, async () => {
        const { traces } = (await api(`/api/traces?service=gateway&attr.http.route=${route}&limit=50`)) as {
          traces: { traceId: string; services: string[] }[];
        };
        const found = traces.find((t) => t.services.includes(service));
        return found === undefined
          ? undefined
          : ((await api(`/api/traces/${found.traceId}`)) as { spans: Span[] });
      });
    const read = await trace("/products/:id", "catalog");
    expect(read.spans.filter((s) => s.parentSpanId === null).map((s) => s.service)).toEqual(["gateway"]);

    const degraded = await until("a span event of a served fallback", async () => {
      const { traces } = (await api(
        "/api/traces?service=gateway&attr.http.route=/recommendations&limit=100",
      )) as {
        traces: { traceId: string }[];
      };
      for (const { traceId } of traces) {
        const { spans } = (await api(`/api/traces/${traceId}`)) as { spans: Span[] };
        const event = spans
          .flatMap((s) => s.events)
          .find(
            (e) =>
              e.name === "shakedown.defense.decision" && e.attributes["shakedown.defense"] === "fallback",
          );
        if (event !== undefined) return event;
      }
      return undefined;
    });
    expect(degraded.attributes).toMatchObject({
      "shakedown.decision": "served",
      "peer.service": "recommendations",
    });
  });

  it("stops on SIGTERM with exit code 0", async () => {
    await supervisor.stop("gateway-2");
    expect(supervisor.status("gateway-2")).toMatchObject({ state: "stopped", exitCode: 0 });
  });
});
