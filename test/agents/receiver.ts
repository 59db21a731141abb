import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export const SPAN_KIND_SERVER = 2;

/** Attributes flattened from OTLP/JSON key-value lists; array and map values are left as OTLP has them. */
export type Attributes = Record<string, unknown>;

export interface ReceivedSpan {
  resource: Attributes;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  events: { name: string; attributes: Attributes }[];
}

export interface ReceivedLog {
  resource: Attributes;
  body: unknown;
  severityNumber: number;
  severityText: string;
  traceId: string | undefined;
  spanId: string | undefined;
  attributes: Attributes;
}

export interface ReceivedMetric {
  resource: Attributes;
  name: string;
}

export interface Arrival {
  path: string;
  headers: IncomingHttpHeaders;
}

export interface Receiver {
  /** e.g. http://127.0.0.1:40123, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** How many export requests have arrived, of any signal. */
  requests(): number;
  /** Path and headers of every export request, in arrival order. */
  arrivals(): Arrival[];
  spans(): ReceivedSpan[];
  logs(): ReceivedLog[];
  metrics(): ReceivedMetric[];
  close(): Promise<void>;
}

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

interface Resourced {
  resource?: { attributes?: KeyValue[] };
}

/**
 * A real OTLP/HTTP receiver on 127.0.0.1: records what arrives on /v1/traces, /v1/metrics, /v1/logs. It
 * decodes JSON bodies; of protobuf ones it keeps only the content type.
 */
export async function startReceiver(): Promise<Receiver> {
  const arrivals: Arrival[] = [];
  const bodies: { path: string; body: Record<string, unknown[]> }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "";
      arrivals.push({ path, headers: request.headers });
      if (request.headers["content-type"] === "application/json") {
        bodies.push({ path, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const of = (path: string, key: string) =>
    bodies.filter((request) => request.path === path).flatMap((request) => request.body[key] ?? []);

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => arrivals.length,
    arrivals: () => arrivals,
    spans: () =>
      of("/v1/traces", "resourceSpans").flatMap((resourceSpans) => {
        const { resource, scopeSpans } = resourceSpans as Resourced & { scopeSpans: { spans: RawSpan[] }[] };
        return scopeSpans.flatMap((scope) =>
          scope.spans.map((span) => ({
            resource: flatten(resource?.attributes),
            name: span.name,
            kind: span.kind,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId || undefined,
            events: (span.events ?? []).map((event) => ({
              name: event.name,
              attributes: flatten(event.attributes),
            })),
          })),
        );
      }),
    logs: () =>
      of("/v1/logs", "resourceLogs").flatMap((resourceLogs) => {
        const { resource, scopeLogs } = resourceLogs as Resourced & { scopeLogs: { logRecords: RawLog[] }[] };
        return scopeLogs.flatMap((scope) =>
          scope.logRecords.map((record) => ({
            resource: flatten(resource?.attributes),
            body: record.body === undefined ? undefined : plain(record.body),
            severityNumber: record.severityNumber,
            severityText: record.severityText,
            traceId: record.traceId || undefined,
            spanId: record.spanId || undefined,
            attributes: flatten(record.attributes),
          })),
        );
      }),
    metrics: () =>
      of("/v1/metrics", "resourceMetrics").flatMap((resourceMetrics) => {
        const { resource, scopeMetrics } = resourceMetrics as Resourced & {
          scopeMetrics: { metrics: { name: string }[] }[];
        };
        return scopeMetrics.flatMap((scope) =>
          scope.metrics.map((metric) => ({ resource: flatten(resource?.attributes), name: metric.name })),
        );
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface RawSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  events?: { name: string; attributes?: KeyValue[] }[];
}

interface RawLog {
  body?: Record<string, unknown>;
  severityNumber: number;
  severityText: string;
  traceId?: string;
  spanId?: string;
  attributes?: KeyValue[];
}

function flatten(attributes: KeyValue[] = []): Attributes {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, plain(value)]));
}

// OTLP/JSON carries 64-bit integers as strings; the tests compare small numbers.
function plain(value: Record<string, unknown>): unknown {
  if ("intValue" in value) return Number(value.intValue);
  return Object.values(value)[0];
}
