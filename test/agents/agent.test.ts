import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, type LogLine, startApp } from "./app-process.js";
import { eventually } from "./eventually.js";
import { type ReceivedSpan, type Receiver, SPAN_KIND_SERVER, startReceiver } from "./receiver.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("an ESM express app run with --import register.js", () => {
  let receiver: Receiver;
  let app: AppProcess;

  beforeAll(async () => {
    receiver = await startReceiver();
    app = await startApp("app", {
      OTEL_SERVICE_NAME: "orders",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_BLRP_SCHEDULE_DELAY: "100",
      OTEL_METRIC_EXPORT_INTERVAL: "500",
    });
  });

  afterAll(async () => {
    app?.stop();
    await receiver?.close();
  });

  /** Requests an order, and finds the request's log line and then its SERVER span by the line's trace id. */
  async function order(
    id: string,
    headers: Record<string, string> = {},
  ): Promise<{ line: LogLine; span: ReceivedSpan }> {
    const response = await fetch(`http://127.0.0.1:${app.port}/orders/${id}`, { headers });
    expect(response.status).toBe(200);
    const line = await eventually(`the log line of order ${id}`, () =>
      app.lines().find((l) => l.msg === "looking up order" && l["order.id"] === id),
    );
    expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const span = await eventually(`the SERVER span of order ${id}`, () =>
      receiver.spans().find((s) => s.kind === SPAN_KIND_SERVER && s.traceId === line.trace_id),
    );
    return { line, span };
  }

  it("a request becomes a SERVER span whose resource names the service and its instance", async () => {
    const { span } = await order("1");

    expect(span.name).toBe("GET /orders/:id");
    expect(span.resource["service.name"]).toBe("orders");
    expect(span.resource["service.instance.id"]).toMatch(UUID);
    expect(span.resource["process.pid"]).toBeTypeOf("number");
    expect(span.resource["host.name"]).toBeTypeOf("string");
  });

  it("a request's log lines carry its trace id, on stdout and as OpenTelemetry log records", async () => {
    const { line, span } = await order("2");

    expect(line).toMatchObject({ trace_id: span.traceId, trace_flags: "01", "service.name": "orders" });
    expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
    const record = await eventually("the log record of the request", () =>
      receiver.logs().find((log) => log.body === "looking up order" && log.attributes["order.id"] === "2"),
    );
    expect(record).toMatchObject({
      traceId: span.traceId,
      spanId: line.span_id,
      severityNumber: 9,
      severityText: "info",
      resource: { "service.name": "orders" },
    });
  });

  it("a decision becomes a span event, a counter on /metrics and a log line", async () => {
    const { span } = await order("3");
    const handlerSpan = await eventually("the span holding the decision event", () =>
      receiver.spans().find((s) => s.traceId === span.traceId && s.events.length > 0),
    );

    expect(handlerSpan.events).toEqual([
      {
        name: "shakedown.defense.decision",
        attributes: {
          "shakedown.defense": "rate_limiter",
          "shakedown.decision": "admitted",
          "shakedown.limit.remaining": 9,
        },
      },
    ]);
    const record = await eventually("the decision's log record", () =>
      receiver.logs().find((log) => log.traceId === span.traceId && log.body === "rate_limiter: admitted"),
    );
    expect(record.attributes).toMatchObject({
      "shakedown.defense": "rate_limiter",
      "shakedown.decision": "admitted",
    });
    const scrape = await fetch(`http://127.0.0.1:${app.port}/metrics`);
    expect(scrape.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const requestsSoFar = app.lines().filter((l) => l.msg === "looking up order").length;
    expect(await scrape.text()).toContain(
      `shakedown_defense_decisions_total{defense="rate_limiter",decision="admitted"} ${requestsSoFar}`,
    );
  });

  it("the metrics server started by serveMetrics serves the same registry", async () => {
    const listening = await app.line("listening");
    const scrape = await fetch(`http://127.0.0.1:${listening["metrics.port"]}/metrics`);

    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toContain("# TYPE shakedown_defense_decisions_total counter");
    expect(text).toContain("process_cpu_seconds_total");
  });

  it("an incoming traceparent is continued in the same trace", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentSpanId = "00f067aa0ba902b7";
    const { span } = await order("4", { traceparent: `00-${traceId}-${parentSpanId}-01` });

    expect(span.traceId).toBe(traceId);
    expect(span.parentSpanId).toBe(parentSpanId);
  });

  it("metrics reach the collector over OTLP too", async () => {
    await order("6");

    const metric = await eventually("an OTLP metric", () => receiver.metrics()[0]);

    expect(metric.resource["service.name"]).toBe("orders");
  });

  it("scrapes of /metrics are not traced", async () => {
    await fetch(`http://127.0.0.1:${app.port}/metrics`);
    await order("5");

    expect(receiver.spans().filter((span) => span.name.includes("metrics"))).toEqual([]);
  });
});
