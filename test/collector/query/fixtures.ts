import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import express from "express";
import { createApiRouter } from "../../../collector/api/router.js";
import type {
  Attributes,
  LogRow,
  MetricType,
  PointDetail,
  PointRow,
  ResourceRow,
  ScopeRow,
  SeriesPoints,
  SpanLink,
  SpanRow,
  WriteBatch,
} from "../../../collector/model.js";
import { createInserter } from "../../../collector/store/insert.js";
import { openDatabase } from "../../../collector/store/schema.js";

/** 2023-11-14T22:00:00Z, on an hour boundary so that steps align with it: every fixture time is an offset from here. */
export const BASE_MS = 1_699_999_200_000;
export const ns = (offsetMs: number): bigint => BigInt(BASE_MS + offsetMs) * 1_000_000n;
export const at = (offsetMs: number): string => String(BASE_MS + offsetMs);

export const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
export const STATUS = { unset: 0, ok: 1, error: 2 } as const;

/** A readable name turned into a fixed-width hex id, so tests can say traceId("checkout"). */
function hexId(name: string, bytes: number): string {
  return Buffer.from(name.padEnd(bytes, "\0").slice(0, bytes)).toString("hex");
}
export const traceId = (name: string): string => hexId(name, 16);
export const spanId = (name: string): string => hexId(name, 8);

export function resource(service: string, instance = `${service}-1`, extra: Attributes = {}): ResourceRow {
  const attributes: Attributes = { "service.name": service, ...extra };
  if (instance !== "") attributes["service.instance.id"] = instance;
  return {
    attributes: JSON.stringify(attributes),
    droppedAttributesCount: 0,
    schemaUrl: "https://opentelemetry.io/schemas/1.26.0",
    serviceName: service,
    serviceInstanceId: instance,
  };
}

export const scope: ScopeRow = {
  name: "shakedown-test",
  version: "1.0.0",
  attributes: JSON.stringify({ "scope.attr": "x" }),
  droppedAttributesCount: 0,
  schemaUrl: "",
};

export interface SpanSpec {
  trace: string;
  id: string;
  parent?: string;
  name: string;
  kind?: number;
  startMs: number;
  durationMs: number;
  status?: number;
  attributes?: Attributes;
  /** Spans this one links to, by trace and span name. */
  links?: { trace: string; id: string }[];
}

export function span(spec: SpanSpec): SpanRow {
  const start = ns(spec.startMs);
  const links: SpanLink[] = (spec.links ?? []).map((link) => ({
    traceId: traceId(link.trace),
    spanId: spanId(link.id),
    traceState: "",
    attributes: {},
    droppedAttributesCount: 0,
    flags: 1,
  }));
  return {
    traceId: traceId(spec.trace),
    spanId: spanId(spec.id),
    parentSpanId: spec.parent === undefined ? "" : spanId(spec.parent),
    traceState: "",
    flags: 1,
    name: spec.name,
    kind: spec.kind ?? KIND.internal,
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(Math.round(spec.durationMs * 1e6)),
    attributes: JSON.stringify(spec.attributes ?? {}),
    droppedAttributesCount: 0,
    events: JSON.stringify([
      { timeUnixNano: start.toString(), name: "started", attributes: {}, droppedAttributesCount: 0 },
    ]),
    droppedEventsCount: 0,
    links: JSON.stringify(links),
    droppedLinksCount: 0,
    statusCode: spec.status ?? STATUS.unset,
    statusMessage: spec.status === STATUS.error ? "failed" : "",
  };
}

export interface SeriesSpec {
  name: string;
  type: MetricType;
  temporality?: number;
  monotonic?: boolean;
  unit?: string;
  labels?: Attributes;
}

export function series(spec: SeriesSpec, points: PointRow[]): SeriesPoints {
  return {
    series: {
      name: spec.name,
      description: `${spec.name} for tests`,
      unit: spec.unit ?? "1",
      type: spec.type,
      temporality: spec.temporality ?? 0,
      monotonic: spec.monotonic ?? false,
      attributes: JSON.stringify(spec.labels ?? {}),
      metadata: "{}",
    },
    points,
  };
}

/** A gauge or sum point at `offsetMs`, its stream started at `startMs` (0 = unknown). */
export function valuePoint(offsetMs: number, value: number, startMs?: number): PointRow {
  return {
    startTimeUnixNano: startMs === undefined ? 0n : ns(startMs),
    timeUnixNano: ns(offsetMs),
    value,
    count: null,
    sum: null,
    min: null,
    max: null,
    flags: 0,
    detail: null,
    exemplars: null,
  };
}

export function histogramPoint(
  offsetMs: number,
  explicitBounds: number[],
  bucketCounts: number[],
  startMs?: number,
): PointRow {
  const detail: PointDetail = { bucketCounts, explicitBounds };
  return {
    ...valuePoint(offsetMs, 0, startMs),
    value: null,
    count: bucketCounts.reduce((a, b) => a + b, 0),
    sum: 0,
    detail: JSON.stringify(detail),
  };
}

export interface LogSpec {
  atMs: number;
  body: string | Attributes;
  severity?: number;
  severityText?: string;
  trace?: string;
  span?: string;
  attributes?: Attributes;
}

export function log(spec: LogSpec): LogRow {
  return {
    timeUnixNano: ns(spec.atMs),
    observedTimeUnixNano: ns(spec.atMs + 1),
    severityNumber: spec.severity ?? 9,
    severityText: spec.severityText ?? "INFO",
    body: JSON.stringify(spec.body),
    bodyText: typeof spec.body === "string" ? spec.body : JSON.stringify(spec.body),
    attributes: JSON.stringify(spec.attributes ?? {}),
    droppedAttributesCount: 0,
    flags: 0,
    traceId: spec.trace === undefined ? "" : traceId(spec.trace),
    spanId: spec.span === undefined ? "" : spanId(spec.span),
    eventName: "",
  };
}

/** One resource's spans, metrics and logs, as one request would carry them. */
export function from(
  res: ResourceRow,
  rows: { spans?: SpanRow[]; metrics?: SeriesPoints[]; logs?: LogRow[] },
): WriteBatch {
  return {
    spans: rows.spans === undefined ? [] : [{ resource: res, scope, rows: rows.spans }],
    metrics: rows.metrics === undefined ? [] : [{ resource: res, scope, rows: rows.metrics }],
    logs: rows.logs === undefined ? [] : [{ resource: res, scope, rows: rows.logs }],
  };
}

export interface Response {
  status: number;
  contentType: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  body: any;
}

/**
 * A database file in a fresh temporary directory, seeded through the collector's own inserter, and the API
 * served from a separate read-only connection on 127.0.0.1, as the collector serves it.
 */
export async function startApi(batches: WriteBatch[]): Promise<{
  get(path: string): Promise<Response>;
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), "shakedown-query-"));
  const file = join(dir, "telemetry.db");
  const writer = openDatabase(file);
  const inserter = createInserter(writer);
  writer.transaction(() => {
    for (const batch of batches) inserter.insert(batch);
  })();
  const reader: Database.Database = openDatabase(file, { readonly: true });

  const app = express();
  app.use("/api", createApiRouter(reader));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    async get(path) {
      const response = await fetch(base + path);
      const text = await response.text();
      return {
        status: response.status,
        contentType: response.headers.get("content-type") ?? "",
        body: text === "" ? undefined : JSON.parse(text),
      };
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      reader.close();
      writer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
