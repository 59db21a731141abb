import type Database from "better-sqlite3";
import { statement } from "./statements.js";
import type { TimeWindow } from "./window.js";

/** SERVER and CONSUMER: the spans in which a service handles a request or a message. */
const BY_KIND = "s.kind IN (2, 5)";

/**
 * For a service that records neither kind: its spans that start a trace, or whose caller is another service or
 * was never recorded.
 */
const AT_BOUNDARY = `(s.parent_span_id IS NULL OR NOT EXISTS (
  SELECT 1 FROM spans p WHERE p.trace_id = s.trace_id AND p.span_id = s.parent_span_id AND p.service_name = s.service_name))`;

const OF_SERVICE = "s.service_name = ? AND s.start_ns >= ? AND s.start_ns < ?";

export interface EntrySpan {
  startNs: bigint;
  durationNs: number;
  error: boolean;
}

/**
 * A window of requests: those that started in it, adjusted at an edge where something happened to the
 * requests in flight (a fault's injection): such a request belongs to the side that caught it.
 */
export interface RequestWindow extends TimeWindow {
  /** Also the requests still in flight at the start, though they started before it. */
  readonly withInFlightAtStart?: boolean;
  /** Only the requests that ended by the end: one still in flight then is not this window's. */
  readonly endedByEnd?: boolean;
}

export interface EntryCounts {
  calls: number;
  errors: number;
}

function entryCondition(db: Database.Database, service: string, window: TimeWindow): string {
  const hasKind = statement(db, `SELECT 1 FROM spans s WHERE ${OF_SERVICE} AND ${BY_KIND} LIMIT 1`).get(
    service,
    window.startNs,
    window.endNs,
  );
  return hasKind === undefined ? AT_BOUNDARY : BY_KIND;
}

/**
 * How long before a window a request that ended in it may have started: the bound that lets the start-time
 * index find it. Ten minutes is far beyond any request deadline in the shop or a load's timeout.
 */
export const LONGEST_REQUEST_NS = 600_000_000_000n;

/** The start times the window's requests may have: earlier ones too when it holds those in flight at its start. */
function searchedStarts(window: RequestWindow): TimeWindow {
  return window.withInFlightAtStart === true
    ? { startNs: window.startNs - LONGEST_REQUEST_NS, endNs: window.endNs }
    : window;
}

/**
 * Conditions on spans `s` of one service (bound as the first argument) that select a window's requests;
 * the start-time index bounds the search, so a request in flight at the start may be up to
 * `LONGEST_REQUEST_NS` old.
 */
export function inRequestWindow(window: RequestWindow): { sql: string; args: bigint[] } {
  const conditions = [OF_SERVICE];
  const args = [searchedStarts(window).startNs, window.endNs];
  if (window.withInFlightAtStart === true) {
    conditions.push("(s.start_ns >= ? OR s.end_ns > ?)");
    args.push(window.startNs, window.startNs);
  }
  if (window.endedByEnd === true) {
    conditions.push("s.end_ns <= ?");
    args.push(window.endNs);
  }
  return { sql: conditions.join(" AND "), args };
}

/** The spans in which `service` received work during the window: what its request rate and latency describe. */
export function entrySpans(db: Database.Database, service: string, window: RequestWindow): EntrySpan[] {
  const range = inRequestWindow(window);
  const sql = `SELECT s.start_ns AS startNs, s.duration_ns AS durationNs, s.status_code AS statusCode
    FROM spans s WHERE ${range.sql} AND ${entryCondition(db, service, searchedStarts(window))}`;
  const rows = statement<{ startNs: bigint; durationNs: bigint; statusCode: bigint }>(db, sql).all(
    service,
    ...range.args,
  );
  return rows.map((row) => ({
    startNs: row.startNs,
    durationNs: Number(row.durationNs),
    error: row.statusCode === 2n,
  }));
}

export function entryCounts(db: Database.Database, service: string, window: RequestWindow): EntryCounts {
  const range = inRequestWindow(window);
  const sql = `SELECT count(*) AS calls, coalesce(sum(s.status_code = 2), 0) AS errors
    FROM spans s WHERE ${range.sql} AND ${entryCondition(db, service, searchedStarts(window))}`;
  const row = statement<{ calls: bigint; errors: bigint }>(db, sql).get(service, ...range.args);
  return { calls: Number(row?.calls ?? 0n), errors: Number(row?.errors ?? 0n) };
}

/**
 * The spans in which `service` received work and which ended during the window, by end time: a request's
 * outcome is known when it ends, so this is what a signal over time (errors per second) is built from.
 */
export function entrySpansEndingIn(db: Database.Database, service: string, window: TimeWindow): EntrySpan[] {
  const started = { startNs: window.startNs - LONGEST_REQUEST_NS, endNs: window.endNs };
  const sql = `SELECT s.start_ns AS startNs, s.duration_ns AS durationNs, s.status_code AS statusCode
    FROM spans s WHERE ${OF_SERVICE} AND s.end_ns >= ? AND s.end_ns < ? AND ${entryCondition(db, service, started)}
    ORDER BY s.end_ns`;
  const rows = statement<{ startNs: bigint; durationNs: bigint; statusCode: bigint }>(db, sql).all(
    service,
    started.startNs,
    started.endNs,
    window.startNs,
    window.endNs,
  );
  return rows.map((row) => ({
    startNs: row.startNs,
    durationNs: Number(row.durationNs),
    error: row.statusCode === 2n,
  }));
}
