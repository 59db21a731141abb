import type Database from "better-sqlite3";
import type { Attributes, AttributeValue } from "../model.js";
import type { SqlCondition } from "./attributes.js";
import { statement } from "./statements.js";
import type { TimeWindow } from "./window.js";

/** The lowest OTLP severity number of each named range (TRACE is 1–4, DEBUG 5–8, and so on). */
export const SEVERITY_NUMBERS = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 } as const;

export interface LogSearch {
  window: TimeWindow;
  /** Words the body must all contain; a word ending in * matches as a prefix. */
  q?: string;
  service?: string;
  traceId?: string;
  minSeverity?: number;
  limit: number;
}

export interface LogRecord {
  /** The event time, or the observed time for a record that carried none. */
  timeNs: string;
  observedTimeNs: string;
  severityNumber: number;
  severityText: string;
  body: AttributeValue;
  attributes: Attributes;
  traceId: string | null;
  spanId: string | null;
  service: string;
  serviceInstanceId: string;
  eventName: string;
}

interface Row {
  timeNs: bigint;
  observedTimeNs: bigint;
  severityNumber: bigint;
  severityText: string;
  body: string;
  attributes: string;
  traceId: string;
  spanId: string;
  service: string;
  serviceInstanceId: string;
  eventName: string;
}

/**
 * Turns a user's text into an FTS5 query that always parses: each word becomes a quoted string (quotes doubled),
 * so operators, parentheses and column filters lose their meaning; all words must match. Null when nothing
 * searchable is left.
 */
export function toFtsQuery(text: string): string | null {
  const terms: string[] = [];
  for (const word of text.split(/\s+/)) {
    const core = word.replace(/\*+$/, "");
    if (core === "") continue;
    terms.push(`"${core.replaceAll('"', '""')}"${core === word ? "" : "*"}`);
  }
  return terms.length === 0 ? null : terms.join(" ");
}

/** Log records in the window, newest first. */
export function searchLogs(db: Database.Database, search: LogSearch): { logs: LogRecord[] } {
  const conditions: SqlCondition[] = [
    { sql: "l.ts_ns >= ? AND l.ts_ns < ?", args: [search.window.startNs, search.window.endNs] },
  ];
  if (search.service !== undefined) conditions.push({ sql: "l.service_name = ?", args: [search.service] });
  if (search.traceId !== undefined) {
    conditions.push({ sql: "l.trace_id = ?", args: [Buffer.from(search.traceId, "hex")] });
  }
  if (search.minSeverity !== undefined) {
    conditions.push({ sql: "l.severity_number >= ?", args: [search.minSeverity] });
  }
  const match = search.q === undefined ? null : toFtsQuery(search.q);
  if (match !== null) {
    conditions.push({ sql: "l.id IN (SELECT rowid FROM logs_fts WHERE logs_fts MATCH ?)", args: [match] });
  }
  const sql = `SELECT l.ts_ns AS timeNs, l.observed_ns AS observedTimeNs, l.severity_number AS severityNumber,
      l.severity_text AS severityText, l.body, l.attributes, lower(hex(l.trace_id)) AS traceId,
      lower(hex(l.span_id)) AS spanId, l.service_name AS service, r.service_instance_id AS serviceInstanceId,
      l.event_name AS eventName
    FROM logs l JOIN resources r ON r.id = l.resource_id
    WHERE ${conditions.map((c) => c.sql).join(" AND ")}
    ORDER BY l.ts_ns DESC, l.id DESC LIMIT ?`;
  const rows = statement<Row>(db, sql).all(...conditions.flatMap((c) => c.args), search.limit);
  return {
    logs: rows.map((row) => ({
      timeNs: row.timeNs.toString(),
      observedTimeNs: row.observedTimeNs.toString(),
      severityNumber: Number(row.severityNumber),
      severityText: row.severityText,
      body: JSON.parse(row.body),
      attributes: JSON.parse(row.attributes),
      traceId: row.traceId === "" ? null : row.traceId,
      spanId: row.spanId === "" ? null : row.spanId,
      service: row.service,
      serviceInstanceId: row.serviceInstanceId,
      eventName: row.eventName,
    })),
  };
}
