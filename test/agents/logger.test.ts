import { trace } from "@opentelemetry/api";
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Logger } from "pino";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";

const records = new InMemoryLogRecordExporter();
const sdk = new NodeSDK({
  autoDetectResources: false,
  spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
  logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: records })],
  metricReaders: [],
});

let lines: Record<string, unknown>[] = [];
let logger: Logger;

beforeAll(async () => {
  sdk.start();
  // Imported once the SDK is global, as it is when the agent starts first. Vite resolves api-logs to its
  // ESM build while the SDK requires the CommonJS one, and the proxy of one copy never learns of the other.
  const { createLogger } = await import("../../agents/logger.js");
  logger = createLogger({
    level: "trace",
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
});
afterAll(() => sdk.shutdown());
beforeEach(() => {
  lines = [];
  records.reset();
});

it("pino levels map to OpenTelemetry severities, with the message as body and the other fields as attributes", () => {
  for (const level of ["trace", "debug", "info", "warn", "error", "fatal"] as const) {
    logger[level]({ "order.id": "7" }, `at ${level}`);
  }

  expect(
    records
      .getFinishedLogRecords()
      .map((record) => [record.severityNumber, record.severityText, record.body]),
  ).toEqual([
    [1, "trace", "at trace"],
    [5, "debug", "at debug"],
    [9, "info", "at info"],
    [13, "warn", "at warn"],
    [17, "error", "at error"],
    [21, "fatal", "at fatal"],
  ]);
  for (const record of records.getFinishedLogRecords())
    expect(record.attributes).toEqual({ "order.id": "7" });
});

it("a line logged inside a span carries the span's ids, and so does its record; one outside carries none", () => {
  const span = trace.getTracer("test").startActiveSpan("work", (active) => {
    logger.info("inside");
    active.end();
    return active;
  });
  logger.info("outside");

  const { traceId, spanId } = span.spanContext();
  expect(lines[0]).toMatchObject({ msg: "inside", trace_id: traceId, span_id: spanId, trace_flags: "01" });
  expect(lines[1]).not.toHaveProperty("trace_id");
  const [inside, outside] = records.getFinishedLogRecords();
  expect(inside?.spanContext).toMatchObject({ traceId, spanId });
  expect(outside?.spanContext).toBeUndefined();
});

it("every line names the service", () => {
  logger.info("hello");

  expect(lines[0]?.["service.name"]).toBeTypeOf("string");
});

it("a child logger's bindings become attributes too", () => {
  logger.child({ "peer.service": "ledger" }).warn({ attempt: 2 }, "retrying");

  expect(records.getFinishedLogRecords()[0]?.attributes).toEqual({ "peer.service": "ledger", attempt: 2 });
});

it("an error logged becomes the record's exception", () => {
  logger.error(new Error("ledger unreachable"), "charging failed");

  const [record] = records.getFinishedLogRecords();
  expect(record?.body).toBe("charging failed");
  expect(record?.attributes).toMatchObject({
    "exception.type": "Error",
    "exception.message": "ledger unreachable",
  });
  expect(record?.attributes["exception.stacktrace"]).toContain("ledger unreachable");
});
