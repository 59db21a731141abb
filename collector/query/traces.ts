import type Database from "better-sqlite3";
import { NotFoundError } from "../errors.js";
import type { Attributes, SpanEvent, SpanLink } from "../model.js";
import { attributeEquals, type SqlCondition } from "./attributes.js";
import { statement } from "./statements.js";
import type { TimeWindow } from "./window.js";

export const SPAN_STATUSES = { unset: 0, ok: 1, error: 2 } as const;
export type SpanStatusName = keyof typeof SPAN_STATUSES;

const SPAN_KIND_NAMES = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"];

/** Span-level filters: a trace matches when any one of its spans that started in the window passes all of them. */
export interface TraceSearch {
  window: TimeWindow;
  service?: string;
  operation?: string;
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
  status?: SpanStatusName;
  /** Compared as text against the span's attributes, or else its resource's. */
  attributes: Record<string, string>;
  limit: number;
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  startNs: string;
  durationNs: string;
  spanCount: number;
  errorCount: number;
  services: string[];
}

export interface SpanDetail {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  kindName: string;
  service: string;
  serviceInstanceId: string;
  startNs: string;
  endNs: string;
  durationNs: string;
  attributes: Attributes;
  resource: { attributes: Attributes; schemaUrl: string; droppedAttributesCount: number };
  scope: { name: string; version: string; attributes: Attributes };
  events: SpanEvent[];
  links: SpanLink[];
  status: { code: number; message: string };
  traceState: string;
  flags: number;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
}

function matchConditions(search: TraceSearch): SqlCondition[] {
  const conditions: SqlCondition[] = [
    { sql: "s.start_ns >= ? AND s.start_ns < ?", args: [search.window.startNs, search.window.endNs] },
  ];
  if (search.service !== undefined) conditions.push({ sql: "s.service_name = ?", args: [search.service] });
  if (search.operation !== undefined) conditions.push({ sql: "s.name = ?", args: [search.operation] });
  if (search.minDurationNs !== undefined) {
    conditions.push({ sql: "s.duration_ns >= ?", args: [search.minDurationNs] });
  }
  if (search.maxDurationNs !== undefined) {
    conditions.push({ sql: "s.duration_ns <= ?", args: [search.maxDurationNs] });
  }
  if (search.status !== undefined) {
    conditions.push({ sql: "s.status_code = ?", args: [SPAN_STATUSES[search.status]] });
  }
  for (const [key, value] of Object.entries(search.attributes)) {
    const onSpan = attributeEquals("s.attributes", key, value);
    // The matching resources are few and found once per query, not once per span.
    const onResource = attributeEquals("attributes", key, value);
    conditions.push({
      sql: `(${onSpan.sql} OR s.resource_id IN (SELECT id FROM resources WHERE ${onResource.sql}))`,
      args: [...onSpan.args, ...onResource.args],
    });
  }
  return conditions;
}

/**
 * Walks matching spans newest first along a start-time index and stops at `limit` distinct traces, so the cost
 * follows the number of spans read rather than the number stored.
 */
function matchingTraceIds(db: Database.Database, search: TraceSearch): string[] {
  const conditions = matchConditions(search);
  const sql = `SELECT lower(hex(s.trace_id)) AS traceId FROM spans s
    WHERE ${conditions.map((c) => c.sql).join(" AND ")} ORDER BY s.start_ns DESC`;
  const ids = new Set<string>();
  for (const row of statement<{ traceId: string }>(db, sql).iterate(...conditions.flatMap((c) => c.args))) {
    ids.add(row.traceId);
    if (ids.size === search.limit) break;
  }
  return [...ids];
}

interface TotalsRow {
  spanCount: bigint;
  errorCount: bigint;
  startNs: bigint;
  endNs: bigint;
  services: string;
}

function summarize(db: Database.Database, traceId: string): TraceSummary {
  const id = Buffer.from(traceId, "hex");
  const totals = statement<TotalsRow>(
    db,
    `SELECT count(*) AS spanCount, sum(status_code = 2) AS errorCount, min(start_ns) AS startNs,
       max(end_ns) AS endNs, json_group_array(DISTINCT service_name) AS services
     FROM spans WHERE trace_id = ?`,
  ).get(id) as TotalsRow;
  // A trace whose root never arrived is headed by its earliest span.
  const root = statement<{ service: string; name: string }>(
    db,
    `SELECT service_name AS service, name FROM spans WHERE trace_id = ?
     ORDER BY parent_span_id IS NOT NULL, start_ns LIMIT 1`,
  ).get(id) as { service: string; name: string };
  return {
    traceId,
    rootService: root.service,
    rootName: root.name,
    startNs: totals.startNs.toString(),
    durationNs: (totals.endNs - totals.startNs).toString(),
    spanCount: Number(totals.spanCount),
    errorCount: Number(totals.errorCount),
    services: (JSON.parse(totals.services) as string[]).sort(),
  };
}

/** The newest traces with a span matching every filter, newest (by trace start) first. */
export function searchTraces(db: Database.Database, search: TraceSearch): { traces: TraceSummary[] } {
  const traces = matchingTraceIds(db, search).map((id) => summarize(db, id));
  traces.sort((a, b) => {
    const byStart = BigInt(b.startNs) - BigInt(a.startNs);
    if (byStart !== 0n) return byStart > 0n ? 1 : -1;
    return a.traceId < b.traceId ? -1 : 1;
  });
  return { traces };
}

interface SpanRowOut {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: bigint;
  service: string;
  serviceInstanceId: string;
  startNs: bigint;
  endNs: bigint;
  durationNs: bigint;
  attributes: string;
  resourceAttributes: string;
  resourceSchemaUrl: string;
  resourceDropped: bigint;
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: string;
  events: string;
  links: string;
  statusCode: bigint;
  statusMessage: string;
  traceState: string;
  flags: bigint;
  droppedAttributesCount: bigint;
  droppedEventsCount: bigint;
  droppedLinksCount: bigint;
}

const TRACE_SQL = `SELECT lower(hex(s.trace_id)) AS traceId, lower(hex(s.span_id)) AS spanId,
  lower(hex(s.parent_span_id)) AS parentSpanId, s.name, s.kind, s.service_name AS service,
  r.service_instance_id AS serviceInstanceId, s.start_ns AS startNs, s.end_ns AS endNs, s.duration_ns AS durationNs,
  s.attributes, r.attributes AS resourceAttributes, r.schema_url AS resourceSchemaUrl,
  r.dropped_attributes_count AS resourceDropped, c.name AS scopeName, c.version AS scopeVersion,
  c.attributes AS scopeAttributes, s.events, s.links, s.status_code AS statusCode, s.status_message AS statusMessage,
  s.trace_state AS traceState, s.flags, s.dropped_attributes_count AS droppedAttributesCount,
  s.dropped_events_count AS droppedEventsCount, s.dropped_links_count AS droppedLinksCount
FROM spans s JOIN resources r ON r.id = s.resource_id JOIN scopes c ON c.id = s.scope_id
WHERE s.trace_id = ? ORDER BY s.start_ns, s.span_id`;

/** Every stored span of one trace, by start time. `traceId` is 32 lowercase hex digits. */
export function getTrace(db: Database.Database, traceId: string): { traceId: string; spans: SpanDetail[] } {
  const rows = statement<SpanRowOut>(db, TRACE_SQL).all(Buffer.from(traceId, "hex"));
  if (rows.length === 0) throw new NotFoundError(`trace ${traceId}`);
  const spans = rows.map(
    (row): SpanDetail => ({
      traceId: row.traceId,
      spanId: row.spanId,
      parentSpanId: row.parentSpanId === "" ? null : row.parentSpanId,
      name: row.name,
      kind: Number(row.kind),
      kindName: SPAN_KIND_NAMES[Number(row.kind)] ?? "UNSPECIFIED",
      service: row.service,
      serviceInstanceId: row.serviceInstanceId,
      startNs: row.startNs.toString(),
      endNs: row.endNs.toString(),
      durationNs: row.durationNs.toString(),
      attributes: JSON.parse(row.attributes),
      resource: {
        attributes: JSON.parse(row.resourceAttributes),
        schemaUrl: row.resourceSchemaUrl,
        droppedAttributesCount: Number(row.resourceDropped),
      },
      scope: { name: row.scopeName, version: row.scopeVersion, attributes: JSON.parse(row.scopeAttributes) },
      events: JSON.parse(row.events),
      links: JSON.parse(row.links),
      status: { code: Number(row.statusCode), message: row.statusMessage },
      traceState: row.traceState,
      flags: Number(row.flags),
      droppedAttributesCount: Number(row.droppedAttributesCount),
      droppedEventsCount: Number(row.droppedEventsCount),
      droppedLinksCount: Number(row.droppedLinksCount),
    }),
  );
  return { traceId, spans };
}
