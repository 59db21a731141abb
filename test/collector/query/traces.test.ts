import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { at, ns, spanId, startApi, traceId } from "./fixtures.js";
import { shopTraces } from "./shop.js";

let api: Awaited<ReturnType<typeof startApi>>;
const window = `start=${at(0)}&end=${at(10_000)}`;

beforeAll(async () => {
  api = await startApi(shopTraces());
});
afterAll(() => api.close());

async function traceNames(query: string): Promise<string[]> {
  const response = await api.get(`/api/traces?${window}&${query}`);
  expect(response.status).toBe(200);
  const names: Record<string, string> = {};
  for (const name of ["checkout", "browse", "failed", "orphan", "linked"]) names[traceId(name)] = name;
  return response.body.traces.map((trace: { traceId: string }) => names[trace.traceId]);
}

describe("GET /api/traces", () => {
  it("lists every trace in the window newest first", async () => {
    expect(await traceNames("")).toEqual(["linked", "orphan", "failed", "browse", "checkout"]);
  });

  it("summarizes a trace from all of its spans", async () => {
    const { body } = await api.get(`/api/traces?${window}`);
    const checkout = body.traces.find((t: { traceId: string }) => t.traceId === traceId("checkout"));
    expect(checkout).toEqual({
      traceId: traceId("checkout"),
      rootService: "gateway",
      rootName: "POST /orders",
      startNs: ns(0).toString(),
      durationNs: "230000000",
      spanCount: 5,
      errorCount: 0,
      services: ["gateway", "ledger", "orders"],
    });
  });

  it("takes the earliest span as root when the root span never arrived", async () => {
    const { body } = await api.get(`/api/traces?${window}&service=catalog&operation=cache%20lookup`);
    expect(body.traces).toHaveLength(1);
    expect(body.traces[0]).toMatchObject({ rootService: "catalog", rootName: "catalog/Get", spanCount: 2 });
  });

  it("filters by service, operation and status", async () => {
    expect(await traceNames("service=orders")).toEqual(["failed", "checkout"]);
    expect(await traceNames("operation=catalog%2FList")).toEqual(["browse"]);
    expect(await traceNames("status=error")).toEqual(["failed"]);
    expect(await traceNames("status=ok")).toEqual([]);
  });

  it("filters by span duration in milliseconds", async () => {
    expect(await traceNames("minDurationMs=250")).toEqual(["failed"]);
    expect(await traceNames("minDurationMs=25&maxDurationMs=35")).toEqual(["browse", "checkout"]);
    expect(await traceNames("maxDurationMs=2.5")).toEqual(["orphan"]);
  });

  it("matches attribute values as text whatever their JSON type", async () => {
    expect(await traceNames("attr.http.status_code=200")).toEqual(["browse"]);
    expect(await traceNames("attr.retry=true")).toEqual(["failed"]);
    expect(await traceNames("attr.http.method=POST")).toEqual(["failed", "checkout"]);
  });

  it("matches an empty attribute value as the empty string", async () => {
    expect(await traceNames("attr.cache.key=")).toEqual(["orphan"]);
    expect(await traceNames("attr.http.method=")).toEqual([]);
  });

  it("matches attributes against the resource when the span lacks them", async () => {
    expect(await traceNames("attr.deployment.environment=prod")).toEqual(["orphan", "browse"]);
  });

  it("requires one span to match every filter at once", async () => {
    expect(await traceNames("service=gateway&operation=catalog%2FList")).toEqual(["browse"]);
    expect(await traceNames("service=catalog&attr.http.method=GET")).toEqual([]);
    expect(await traceNames("service=orders&status=error&attr.db.rows=3")).toEqual(["failed"]);
  });

  it("keeps to the window and the limit", async () => {
    const { body } = await api.get(`/api/traces?start=${at(1500)}&end=${at(2500)}`);
    expect(body.traces.map((t: { traceId: string }) => t.traceId)).toEqual([traceId("failed")]);
    expect(await traceNames("limit=2")).toEqual(["linked", "orphan"]);
  });

  it("accepts RFC 3339 and relative times", async () => {
    const rfc = await api.get("/api/traces?start=2023-11-14T22:00:01Z&end=2023-11-14T23:00:01.5%2B01:00");
    expect(rfc.body.traces.map((t: { traceId: string }) => t.traceId)).toEqual([traceId("browse")]);
    expect((await api.get("/api/traces?start=now-20000d")).body.traces).toHaveLength(5);
    // The fixtures are from 2023, far outside the default last hour.
    expect((await api.get("/api/traces")).body.traces).toEqual([]);
  });

  it("rejects a malformed time, duration range, status or limit naming the parameter", async () => {
    for (const [query, parameter] of [
      ["start=yesterday", "start"],
      ["end=2023-02-30T00:00:00Z", "end"],
      [`start=${at(10)}&end=${at(5)}`, "start"],
      ["minDurationMs=-1", "minDurationMs"],
      ["maxDurationMs=99999999999999999", "maxDurationMs"],
      ["minDurationMs=10&maxDurationMs=5", "maxDurationMs"],
      ["status=failed", "status"],
      ["limit=0", "limit"],
      ["limit=1001", "limit"],
      ["attr.a%22b=1", 'attr.a"b'],
      ["servce=orders", "servce"],
      ["service=a&service=b", "service"],
    ]) {
      const response = await api.get(`/api/traces?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.contentType).toContain("application/problem+json");
      expect(response.body).toMatchObject({
        type: "urn:shakedown:problem:invalid-parameter",
        title: "Bad Request",
        status: 400,
        parameter,
      });
      expect(response.body.detail).toContain(`"${parameter}"`);
    }
  });
});

describe("GET /api/traces/{traceId}", () => {
  it("returns every span of the trace by start time with its resource and scope", async () => {
    const { status, body } = await api.get(`/api/traces/${traceId("checkout")}`);
    expect(status).toBe(200);
    expect(body.traceId).toBe(traceId("checkout"));
    expect(body.spans.map((s: { name: string }) => s.name)).toEqual([
      "POST /orders",
      "orders/Create",
      "orders/Create",
      "orders publish",
      "orders process",
    ]);
    expect(body.spans[0]).toEqual({
      traceId: traceId("checkout"),
      spanId: spanId("g1"),
      parentSpanId: null,
      name: "POST /orders",
      kind: 2,
      kindName: "SERVER",
      service: "gateway",
      serviceInstanceId: "gateway-1",
      startNs: ns(0).toString(),
      endNs: ns(120).toString(),
      durationNs: "120000000",
      attributes: { "http.method": "POST", "http.status_code": 201 },
      resource: {
        attributes: {
          "service.name": "gateway",
          "deployment.environment": "test",
          "service.instance.id": "gateway-1",
        },
        schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
        droppedAttributesCount: 0,
      },
      scope: { name: "shakedown-test", version: "1.0.0", attributes: { "scope.attr": "x" } },
      events: [
        { timeUnixNano: ns(0).toString(), name: "started", attributes: {}, droppedAttributesCount: 0 },
      ],
      links: [],
      status: { code: 0, message: "" },
      traceState: "",
      flags: 1,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    });
    expect(body.spans[1].parentSpanId).toBe(body.spans[0].spanId);
    expect(body.spans[4]).toMatchObject({ kindName: "CONSUMER", service: "ledger" });
    expect(body.spans[4].links[0]).toMatchObject({ traceId: traceId("checkout") });
  });

  it("accepts an upper-case trace id", async () => {
    const { status, body } = await api.get(`/api/traces/${traceId("browse").toUpperCase()}`);
    expect(status).toBe(200);
    expect(body.spans).toHaveLength(3);
  });

  it("answers 400 for an id that is not 32 hex digits", async () => {
    for (const id of ["xyz", "0".repeat(31), "g".repeat(32)]) {
      const response = await api.get(`/api/traces/${id}`);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ status: 400, parameter: "traceId" });
    }
  });

  it("answers 400 problem details for a path that cannot be decoded", async () => {
    const response = await api.get("/api/traces/%E0%A4%A");
    expect(response.status).toBe(400);
    expect(response.contentType).toContain("application/problem+json");
    expect(response.body).toMatchObject({ type: "about:blank", title: "Bad Request", status: 400 });
  });

  it("answers 404 for a trace that is not stored", async () => {
    const response = await api.get(`/api/traces/${"ab".repeat(16)}`);
    expect(response.status).toBe(404);
    expect(response.contentType).toContain("application/problem+json");
    expect(response.body).toEqual({
      type: "urn:shakedown:problem:not-found",
      title: "Not Found",
      status: 404,
      detail: `trace ${"ab".repeat(16)} not found`,
    });
  });
});

describe("the API router", () => {
  it("answers 404 problem details for an unknown endpoint", async () => {
    const response = await api.get("/api/nothing");
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ status: 404, detail: "endpoint GET /api/nothing not found" });
  });
});
