import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { at, from, log, ns, resource, spanId, startApi, traceId } from "./fixtures.js";

let api: Awaited<ReturnType<typeof startApi>>;

beforeAll(async () => {
  api = await startApi([
    from(resource("orders", "orders-1"), {
      logs: [
        log({
          atMs: 0,
          body: "connection refused by db",
          severity: 17,
          severityText: "ERROR",
          trace: "checkout",
          span: "o1",
        }),
        log({ atMs: 10, body: "order created", trace: "checkout", attributes: { "order.id": 42 } }),
        log({ atMs: 20, body: { msg: "retrying", attempt: 2 }, severity: 13, severityText: "WARN" }),
        log({ atMs: 30, body: 'quote "inside" a"b', severity: 5, severityText: "DEBUG" }),
      ],
    }),
    from(resource("gateway", "gateway-1"), {
      logs: [log({ atMs: 40, body: "connection refused upstream", severity: 18, severityText: "ERROR2" })],
    }),
  ]);
});
afterAll(() => api.close());

const window = `start=${at(0)}&end=${at(1000)}`;

async function bodies(query: string): Promise<unknown[]> {
  const response = await api.get(`/api/logs?${window}&${query}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.logs.map((record: { body: unknown }) => record.body);
}

describe("GET /api/logs", () => {
  it("returns records newest first with parsed bodies and attributes", async () => {
    const { body } = await api.get(`/api/logs?${window}`);
    expect(body.logs.map((record: { timeNs: string }) => record.timeNs)).toEqual(
      [40, 30, 20, 10, 0].map((ms) => ns(ms).toString()),
    );
    expect(body.logs[2].body).toEqual({ msg: "retrying", attempt: 2 });
    expect(body.logs[4]).toEqual({
      timeNs: ns(0).toString(),
      observedTimeNs: ns(1).toString(),
      severityNumber: 17,
      severityText: "ERROR",
      body: "connection refused by db",
      attributes: {},
      traceId: traceId("checkout"),
      spanId: spanId("o1"),
      service: "orders",
      serviceInstanceId: "orders-1",
      eventName: "",
    });
    expect(body.logs[2]).toMatchObject({ traceId: null, spanId: null });
  });

  it("searches the body for all words of a plain query", async () => {
    expect(await bodies("q=connection%20refused")).toEqual([
      "connection refused upstream",
      "connection refused by db",
    ]);
    expect(await bodies("q=refused+db")).toEqual(["connection refused by db"]);
    expect(await bodies("q=retrying")).toEqual([{ msg: "retrying", attempt: 2 }]);
    expect(await bodies("q=conn*")).toHaveLength(2);
  });

  it("treats FTS5 syntax in the query as plain text", async () => {
    for (const hostile of [
      'a"b',
      '"',
      "NEAR(",
      "*",
      ") OR (",
      "body:connection",
      "connection AND",
      "-",
      "^x",
      "'; DROP",
    ]) {
      const response = await api.get(`/api/logs?${window}&q=${encodeURIComponent(hostile)}`);
      expect(response.status, hostile).toBe(200);
    }
    expect(await bodies(`q=${encodeURIComponent('a"b')}`)).toEqual(['quote "inside" a"b']);
    expect(await bodies(`q=${encodeURIComponent('"inside"')}`)).toEqual(['quote "inside" a"b']);
    expect(await bodies(`q=${encodeURIComponent("connection OR order")}`)).toEqual([]);
  });

  it("filters by service, trace and minimum severity", async () => {
    expect(await bodies("service=gateway")).toEqual(["connection refused upstream"]);
    expect(await bodies(`traceId=${traceId("checkout").toUpperCase()}`)).toEqual([
      "order created",
      "connection refused by db",
    ]);
    expect(await bodies("severity=warn")).toHaveLength(3);
    expect(await bodies("severity=ERROR")).toHaveLength(2);
    expect(await bodies("severity=18")).toEqual(["connection refused upstream"]);
    expect(await bodies("service=orders&q=connection&severity=error")).toEqual(["connection refused by db"]);
  });

  it("keeps to the window and the limit", async () => {
    expect(await bodies("limit=2")).toEqual(["connection refused upstream", 'quote "inside" a"b']);
    const response = await api.get(`/api/logs?start=${at(5)}&end=${at(20)}`);
    expect(response.body.logs.map((record: { body: unknown }) => record.body)).toEqual(["order created"]);
  });

  it("rejects a bad trace id, severity or limit", async () => {
    for (const [query, parameter] of [
      ["traceId=abc", "traceId"],
      ["severity=loud", "severity"],
      ["severity=25", "severity"],
      ["severity=0", "severity"],
      ["limit=many", "limit"],
      ["limit=5000", "limit"],
      ["start=now-15w", "start"],
    ]) {
      const response = await api.get(`/api/logs?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body).toMatchObject({ status: 400, parameter });
    }
  });
});
