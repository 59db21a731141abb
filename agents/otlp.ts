import { OTLPLogExporter as GrpcLogExporter } from "@opentelemetry/exporter-logs-otlp-grpc";
import { OTLPLogExporter as JsonLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPMetricExporter as JsonMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as ProtoMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPTraceExporter as GrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import type { LogRecordExporter } from "@opentelemetry/sdk-logs";
import type { PushMetricExporter } from "@opentelemetry/sdk-metrics";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { reportProblem } from "./diagnostics.js";

type Protocol = "http/protobuf" | "http/json" | "grpc";
type Signal = "traces" | "metrics" | "logs";
type ExporterTable<E> = Record<Protocol, () => E>;

// Built without options, each exporter reads its endpoint, headers, timeout and compression from the
// standard OTEL_EXPORTER_OTLP_* variables itself.
const traceExporters: ExporterTable<SpanExporter> = {
  "http/protobuf": () => new ProtoTraceExporter(),
  "http/json": () => new JsonTraceExporter(),
  grpc: () => new GrpcTraceExporter(),
};
const metricExporters: ExporterTable<PushMetricExporter> = {
  "http/protobuf": () => new ProtoMetricExporter(),
  "http/json": () => new JsonMetricExporter(),
  grpc: () => new GrpcMetricExporter(),
};
const logExporters: ExporterTable<LogRecordExporter> = {
  "http/protobuf": () => new ProtoLogExporter(),
  "http/json": () => new JsonLogExporter(),
  grpc: () => new GrpcLogExporter(),
};

function isProtocol(value: string): value is Protocol {
  return value === "http/protobuf" || value === "http/json" || value === "grpc";
}

/** OTEL_EXPORTER_OTLP_{SIGNAL}_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf (the spec's default). */
function protocolFor(signal: Signal): Protocol {
  const name = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`;
  const chosen = (process.env[name] || process.env.OTEL_EXPORTER_OTLP_PROTOCOL || "http/protobuf").trim();
  if (isProtocol(chosen)) return chosen;
  reportProblem(`unsupported OTLP protocol "${chosen}" for ${signal}; using http/protobuf`, { signal });
  return "http/protobuf";
}

export function otlpSpanExporter(): SpanExporter {
  return traceExporters[protocolFor("traces")]();
}

export function otlpMetricExporter(): PushMetricExporter {
  return metricExporters[protocolFor("metrics")]();
}

export function otlpLogExporter(): LogRecordExporter {
  return logExporters[protocolFor("logs")]();
}
