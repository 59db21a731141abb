import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../collector/collector.js";
import { projectRoot } from "../../collector/paths.js";

const run = promisify(execFile);
const PROGRAM = join(projectRoot, "test", "collector", "fixtures", "otel-sdk-program.mjs");

interface Emitted {
  traceId: string;
  rootSpanId: string;
  childSpanId: string;
  linkedTraceId: string;
  linkedSpanId: string;
}

// biome-ignore lint/suspicious/noExplicitAny: API answers are checked field by field below.
type Json = any;

const PROTOCOLS = ["http/protobuf", "http/json", "grpc"] as const;

describe.each(PROTOCOLS)("the official OpenTelemetry JS SDK exporting over %s", (protocol) => {
  let collector: Collector;
  let emitted: Emitted;
  const service = `sdk-${protocol.replace("/", "-")}`;
  const api = async (path: string): Promise<Json> => {
    const response = await fetch(`${collector.urls.api}${path}`);
    expect(response.status).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    collector = await startCollector({
      ...DEFAULT_COLLECTOR_OPTIONS,
      dbPath: join(mkdtempSync(join(tmpdir(), "shakedown-roundtrip-")), "collector.db"),
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      apiPort: 0,
    });
    const endpoint = protocol === "grpc" ? `http://${collector.urls.otlpGrpc}` : collector.urls.otlpHttp;
    const { stdout } = await run(process.execPath, [PROGRAM], {
      env: { ...process.env, OTLP_PROTOCOL: protocol, OTLP_ENDPOINT: endpoint, SERVICE_NAME: service },
    });
    emitted = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
  });

  afterAll(async () => {
    await collector.close();
  });

  it("stores spans whose every field comes back intact through /api/traces/{id}", async () => {
    const trace = await api(`/api/traces/${emitted.traceId}`);
    expect(trace.spans).toHaveLength(2);
    const root = trace.spans.find((s: Json) => s.spanId === emitted.rootSpanId);
    const child = trace.spans.find((s: Json) => s.spanId === emitted.childSpanId);
    expect(root).toMatchObject({
      traceId: emitted.traceId,
      parentSpanId: null,
      name: "GET /products/:id",
      kind: 2,
      service,
      serviceInstanceId: `${service}-1`,
      attributes: {
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "server.duration.ratio": 0.25,
        "feature.enabled": true,
        "tags.list": ["a", "b"],
        "numbers.list": [1, 2, 3],
      },
      scope: { name: "roundtrip.tracer", version: "1.2.3" },
      status: { code: 0 },
    });
    expect(root.resource.attributes).toMatchObject({
      "service.name": service,
      "service.instance.id": `${service}-1`,
      "deployment.environment.name": "test",
    });
    expect(BigInt(root.endNs)).toBeGreaterThanOrEqual(BigInt(root.startNs));
    expect(root.events).toHaveLength(1);
    expect(root.events[0]).toMatchObject({
      name: "cache.miss",
      attributes: { "cache.key": "product:7", "cache.attempt": 2 },
    });
    expect(BigInt(root.events[0].timeUnixNano)).toBeGreaterThanOrEqual(BigInt(root.startNs));
    expect(root.links).toEqual([
      expect.objectContaining({
        traceId: emitted.linkedTraceId,
        spanId: emitted.linkedSpanId,
        attributes: { "link.reason": "kafka" },
      }),
    ]);
    expect(child).toMatchObject({
      parentSpanId: emitted.rootSpanId,
      name: "catalog/GetProduct",
      kind: 3,
      status: { code: 2, message: "deadline exceeded" },
    });
  });

  it("finds the trace by service, operation and attribute", async () => {
    const found = await api(
      `/api/traces?service=${service}&operation=${encodeURIComponent("GET /products/:id")}&attr.feature.enabled=true`,
    );
    expect(found.traces.map((t: Json) => t.traceId)).toContain(emitted.traceId);
  });

  it("stores log records with severity, body, attributes and trace context intact", async () => {
    const { logs } = await api(`/api/logs?service=${service}`);
    expect(logs).toHaveLength(2);
    const warn = logs.find((l: Json) => l.severityNumber === 13);
    const error = logs.find((l: Json) => l.severityNumber === 18);
    expect(warn).toMatchObject({
      severityText: "WARN",
      body: "cache miss for product 7",
      attributes: { "cache.key": "product:7" },
      traceId: emitted.traceId,
      spanId: emitted.rootSpanId,
    });
    expect(error).toMatchObject({
      severityText: "ERROR2",
      body: { reason: "timeout", attempts: 3 },
      attributes: { component: "catalog" },
      traceId: null,
    });
    const searched = await api(`/api/logs?service=${service}&q=${encodeURIComponent("cache miss")}`);
    expect(searched.logs.map((l: Json) => l.severityNumber)).toEqual([13]);
  });

  it("stores every metric type with its shape: sums, gauges, histogram buckets, exponential buckets", async () => {
    const { series } = await api(`/api/metrics?service=${service}`);
    const byName = (name: string) => series.find((s: Json) => s.name === name);
    expect(byName("orders.placed")).toMatchObject({
      type: "sum",
      monotonic: true,
      temporality: "cumulative",
      unit: "{order}",
      description: "orders placed",
      labels: { region: "eu" },
    });
    expect(byName("queue.depth")).toMatchObject({
      type: "sum",
      monotonic: false,
      labels: { queue: "orders" },
    });
    expect(byName("cpu.temperature")).toMatchObject({ type: "gauge", unit: "Cel", labels: { core: "0" } });
    expect(byName("exp.latency")).toMatchObject({ type: "exponential_histogram", unit: "ms" });
    const histogram = byName("request.duration");
    expect(histogram).toMatchObject({ type: "histogram", unit: "s", labels: { route: "/products" } });

    const { points } = await api(`/api/metrics/series/${histogram.id}/points`);
    expect(points.at(-1)).toMatchObject({
      count: 5,
      sum: 3.25,
      min: 0.05,
      max: 2,
      bucketCounts: [1, 2, 1, 1],
      explicitBounds: [0.1, 0.5, 1],
    });
    const exponential = await api(`/api/metrics/series/${byName("exp.latency").id}/points`);
    expect(exponential.points.at(-1)).toMatchObject({
      count: 4,
      sum: 15,
      min: 1,
      max: 8,
      scale: expect.any(Number),
    });
    const positive = exponential.points.at(-1).positive.bucketCounts as number[];
    expect(positive.reduce((a, b) => a + b, 0)).toBe(4);
    const counter = await api(`/api/metrics/series/${byName("orders.placed").id}/points`);
    expect(counter.points.at(-1).value).toBe(5);
  });
});
