import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { exactlyOnce } from "../../../chaos/checkers/exactly-once.js";
import { floodHistory } from "../../../chaos/engine/history.js";
import type { FloodLoad } from "../../../chaos/experiment/types.js";
import { isLoadError } from "../../../chaos/load/errors.js";
import { FloodDriver } from "../../../chaos/load/flood.js";
import { assertLoopback } from "../../../chaos/load/loopback.js";

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

async function serve(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => handler(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function flood(overrides: Partial<FloodLoad> = {}, request: Partial<FloodLoad["request"]> = {}): FloodLoad {
  return {
    type: "flood",
    ratePerSecond: 100,
    durationMillis: 200,
    timeoutMillis: 2000,
    request: { method: "GET", service: "web", path: "/", headers: {}, body: null, ...request },
    ...overrides,
  };
}

const never = new AbortController().signal;

describe("the open-model flood", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("keeps sending on schedule while no response has come back (a closed loop would deadlock here)", async () => {
    const held: ServerResponse[] = [];
    const total = 40;
    const { server, url } = await serve((_request, response) => {
      held.push(response);
      // Nothing is answered until every request of the flood has arrived.
      if (held.length === total) for (const waiting of held) waiting.end("late");
    });
    servers.push(server);
    const driver = new FloodDriver({ baseUrl: () => url });
    const running = await driver.start(
      flood({ ratePerSecond: 80, durationMillis: 500, timeoutMillis: 10_000 }),
      never,
    );
    await running.done;
    const records = running.records;
    expect(records).toHaveLength(total);
    expect(records.every((record) => record.status === 200 && record.outcome === "ok")).toBe(true);
    const scheduled = records.map((record) => record.scheduledAtMillis).sort((a, b) => a - b);
    const first = scheduled[0] as number;
    expect(scheduled.map((time) => Math.round((time - first) * 1000) / 1000)).toEqual(
      Array.from({ length: total }, (_, i) => i * 12.5),
    );
    expect(running.latency().count).toBe(total);
  });

  it("records every outcome: acknowledged, refused, indeterminate, with key, trace id and order id", async () => {
    const seen: { traceparent: string; key: string; body: string }[] = [];
    let count = 0;
    const { server, url } = await serve((request, response, body) => {
      seen.push({
        traceparent: String(request.headers.traceparent),
        key: String(request.headers["idempotency-key"]),
        body,
      });
      const n = count++;
      if (n % 4 === 0)
        response
          .writeHead(201, { "content-type": "application/json" })
          .end(JSON.stringify({ orderId: `o-${n}` }));
      else if (n % 4 === 1) response.writeHead(409).end();
      else if (n % 4 === 2) response.writeHead(503).end();
      // n % 4 === 3: never answered, so the request times out.
    });
    servers.push(server);
    const driver = new FloodDriver({ baseUrl: () => url });
    const load = flood(
      { ratePerSecond: 40, durationMillis: 200, timeoutMillis: 300 },
      {
        method: "POST",
        path: "/orders",
        headers: { "idempotency-key": "{{key}}" },
        body: { key: "{{key}}", sku: 1 },
      },
    );
    const running = await driver.start(load, never);
    await running.done;
    const records = [...running.records].sort((a, b) => a.scheduledAtMillis - b.scheduledAtMillis);
    expect(records).toHaveLength(8);
    for (const record of records) {
      const sent = seen.find((request) => request.key === record.idempotencyKey);
      expect(sent?.traceparent).toMatch(new RegExp(`^00-${record.traceId}-[0-9a-f]{16}-01$`));
      expect(JSON.parse(sent?.body ?? "{}")).toEqual({ key: record.idempotencyKey, sku: 1 });
    }
    const byOrder = records.map((record) => [
      record.status,
      record.outcome,
      record.orderId !== null,
      record.error,
    ]);
    expect(byOrder.slice(0, 4)).toEqual([
      [201, "ok", true, null],
      [409, "fail", false, null],
      [503, "info", false, null],
      [null, "info", false, "timeout after 300 ms"],
    ]);
    expect(new Set(records.map((record) => record.idempotencyKey)).size).toBe(8);

    const history = await floodHistory(() => driver.records()).collect({
      methodStartMillis: (records[0] as { scheduledAtMillis: number }).scheduledAtMillis,
      methodEndMillis: Date.now(),
      faults: {},
    });
    expect(history.requests).toHaveLength(8);
    const acknowledged = records
      .filter((record) => record.outcome === "ok")
      .map((record) => record.idempotencyKey);
    const effects = acknowledged.map((key) => ({ key: key as string, count: 1 }));
    expect(exactlyOnce.check({ ...history, effects }, {})).toMatchObject({ valid: true });
    expect(exactlyOnce.check({ ...history, effects: effects.slice(1) }, {})).toMatchObject({ valid: false });
  });

  it("records a refused connection as certainly not applied", async () => {
    const { server, url } = await serve(() => {});
    await new Promise((resolve) => server.close(resolve));
    const running = await new FloodDriver({ baseUrl: () => url }).start(
      flood({ ratePerSecond: 20, durationMillis: 100 }),
      never,
    );
    await running.done;
    expect(running.records.map((record) => [record.outcome, record.error])).toEqual([
      ["fail", "ECONNREFUSED"],
      ["fail", "ECONNREFUSED"],
    ]);
  });

  it("never sends to a host off loopback: the flood is refused before its first request", async () => {
    const driver = new FloodDriver({ baseUrl: () => "http://10.1.2.3:8080" });
    const refused = await driver.start(flood(), never).catch((error: unknown) => error);
    expect(isLoadError(refused) && refused.code).toBe("SHAKEDOWN_LOAD_NOT_LOOPBACK");
    expect(String(refused)).toMatch(/refusing to send load to http:\/\/10\.1\.2\.3:8080/);
    expect(driver.records()).toEqual([]);
    for (const url of [
      "http://127.0.0.1:1/",
      "http://localhost:2/x",
      "http://[::1]:3/",
      "http://127.8.9.10/",
    ]) {
      expect(() => assertLoopback(url)).not.toThrow();
    }
    for (const url of [
      "http://example.com/",
      "http://0.0.0.0/",
      "http://[::2]/",
      "http://127.0.0.1.nip.io/",
      "x",
    ]) {
      expect(() => assertLoopback(url)).toThrow(/only 127\.0\.0\.1, ::1 and localhost/);
    }
  });

  it("logs in once, sends the token where {{token}} says, and records the answers' headers it was asked for", async () => {
    const logins: string[] = [];
    const { server, url } = await serve((request, response, body) => {
      if (request.method === "POST") {
        logins.push(body);
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ token: "t0k3n" }));
        return;
      }
      const authorized = request.headers.authorization === "Bearer t0k3n";
      response.statusCode = authorized ? 200 : 401;
      // Every other answer is marked, as a fallback would be.
      if (authorized && request.url?.endsWith("/2")) response.setHeader("Shop-Degraded", "circuit_open");
      response.setHeader("X-Other", "not recorded");
      response.end("{}");
    });
    servers.push(server);
    const load = flood(
      {
        ratePerSecond: 40,
        durationMillis: 100,
        login: { path: "/auth/token", body: { username: "alice", password: "alice" } },
        recordHeaders: ["shop-degraded"],
      },
      { path: "/r/{{cycle 2}}", headers: { authorization: "Bearer {{token}}" } },
    );
    const running = await new FloodDriver({ baseUrl: () => url }).start(load, never);
    await running.done;
    expect(logins).toEqual(['{"username":"alice","password":"alice"}']);
    const seen = [...running.records]
      .sort((a, b) => a.scheduledAtMillis - b.scheduledAtMillis)
      .map((record) => [record.status, record.headers]);
    expect(seen).toEqual([
      [200, {}],
      [200, { "shop-degraded": "circuit_open" }],
      [200, {}],
      [200, { "shop-degraded": "circuit_open" }],
    ]);
    const history = await floodHistory(() => running.records).collect({
      methodStartMillis: 0,
      methodEndMillis: Date.now() + 1000,
      faults: {},
    });
    expect(history.requests?.map((request) => request.headers)).toEqual(seen.map(([, headers]) => headers));
  });

  it("does not start when its login gives no token", async () => {
    const { server, url } = await serve((_request, response) => {
      response.statusCode = 401;
      response.end('{"title":"bad credentials"}');
    });
    servers.push(server);
    const load = flood({ login: { path: "/auth/token", body: {} } });
    const refused = await new FloodDriver({ baseUrl: () => url })
      .start(load, never)
      .catch((error: unknown) => error);
    expect(isLoadError(refused) && refused.code).toBe("SHAKEDOWN_LOAD_LOGIN_FAILED");
    expect(String(refused)).toMatch(/auth\/token answered 401: \{"title":"bad credentials"\}/);
  });

  it("stops on request, recording what was in flight as indeterminate, bounded by its count", async () => {
    let arrived = 0;
    const { server, url } = await serve(() => {
      arrived++;
    });
    servers.push(server);
    const controller = new AbortController();
    const running = await new FloodDriver({ baseUrl: () => url, maxRequests: 3 }).start(
      flood({ ratePerSecond: 1000, durationMillis: 60_000, timeoutMillis: 60_000 }),
      controller.signal,
    );
    for (let i = 0; i < 400 && arrived < 3; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await running.done;
    expect(running.records.map((record) => [record.outcome, record.error])).toEqual([
      ["info", "stopped"],
      ["info", "stopped"],
      ["info", "stopped"],
    ]);
  });
});
