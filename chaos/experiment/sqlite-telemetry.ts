import type Database from "better-sqlite3";
import {
  attributeEquals,
  isMatchableAttributeKey,
  type SqlCondition,
} from "../../collector/query/attributes.js";
import {
  type EntrySpan,
  entryCounts,
  entrySpans,
  entrySpansEndingIn,
  inRequestWindow,
  LONGEST_REQUEST_NS,
  type RequestWindow,
} from "../../collector/query/entry-spans.js";
import { queryMetric } from "../../collector/query/metrics.js";
import { statement } from "../../collector/query/statements.js";
import type { TimeWindow } from "../../collector/query/window.js";
import type {
  AbsoluteWindow,
  DecisionSelector,
  FirstDecision,
  MetricSelector,
  RequestOutcome,
  SpanFilter,
  SpanKindName,
  SpanSelector,
  SpanStarts,
  Telemetry,
} from "./telemetry.js";
import { DECISION_EVENT, decisionAttributes, nearestRank } from "./telemetry.js";

const NS_PER_MS = 1_000_000n;

function nanos(window: AbsoluteWindow): TimeWindow {
  return {
    startNs: BigInt(Math.floor(window.startMillis)) * NS_PER_MS,
    endNs: BigInt(Math.ceil(window.endMillis)) * NS_PER_MS,
  };
}

/** The window's requests: at an injection's edge, a request in flight there belongs to the fault. */
function requestWindow(window: AbsoluteWindow): RequestWindow {
  return {
    ...nanos(window),
    withInFlightAtStart: window.startsAtInjection === true,
    endedByEnd: window.endsAtInjection === true,
  };
}

// Any span of a service in the window, with the instance that recorded it.
const OF_SERVICE = `FROM spans s JOIN resources r ON r.id = s.resource_id
  WHERE s.service_name = ? AND s.start_ns >= ? AND s.start_ns < ?`;

/** OTLP's numbering of span kinds, as the collector stores them. */
const OTLP_SPAN_KIND: Readonly<Record<SpanKindName, number>> = {
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};

/**
 * Entry spans `s` of one operation in a window of requests (the collector's entry-span queries do not filter
 * by span name); bind the service first, then `args`.
 */
function ofOperation(name: string, window: RequestWindow): { sql: string; args: unknown[] } {
  const range = inRequestWindow(window);
  return {
    sql: `FROM spans s WHERE ${range.sql} AND s.name = ? AND s.kind IN (2, 5)`,
    args: [...range.args, name],
  };
}

/** Conditions on a JSON attribute map (`column`) holding every attribute the selector asks for. */
function decisionConditions(column: string, selector: DecisionSelector): SqlCondition[] {
  return Object.entries(decisionAttributes(selector)).map(([key, value]) =>
    attributeEquals(column, key, String(value)),
  );
}

function where(conditions: readonly SqlCondition[]): { sql: string; args: unknown[] } {
  return { sql: conditions.map((c) => c.sql).join(" AND "), args: conditions.flatMap((c) => c.args) };
}

/**
 * Telemetry answered from the collector's SQLite file, through the collector's own queries, so an assertion
 * measures exactly what the API and dashboards show. Open the file read-only beside the running collector.
 */
export class SqliteTelemetry implements Telemetry {
  constructor(private readonly db: Database.Database) {}

  async requestCounts(filter: SpanFilter, window: AbsoluteWindow) {
    const range = requestWindow(window);
    if (filter.operation === undefined) {
      const { calls, errors } = entryCounts(this.db, filter.service, range);
      return { requests: calls, errors };
    }
    const spans = ofOperation(filter.operation, range);
    const row = statement<{ calls: bigint; errors: bigint }>(
      this.db,
      `SELECT count(*) AS calls, coalesce(sum(s.status_code = 2), 0) AS errors ${spans.sql}`,
    ).get(filter.service, ...spans.args);
    return { requests: Number(row?.calls ?? 0n), errors: Number(row?.errors ?? 0n) };
  }

  async latencyQuantileMillis(filter: SpanFilter, quantile: number, window: AbsoluteWindow) {
    const range = requestWindow(window);
    const spans = filter.operation === undefined ? null : ofOperation(filter.operation, range);
    const durations =
      spans === null
        ? entrySpans(this.db, filter.service, range).map((span) => span.durationNs)
        : statement<{ durationNs: bigint }>(this.db, `SELECT s.duration_ns AS durationNs ${spans.sql}`)
            .all(filter.service, ...spans.args)
            .map((row) => Number(row.durationNs));
    const ns = nearestRank(
      durations.sort((a, b) => a - b),
      quantile,
    );
    return ns === null ? null : ns / 1e6;
  }

  async metricIncrease(metric: MetricSelector, window: AbsoluteWindow) {
    const labels = Object.fromEntries(
      Object.entries(metric.attributes ?? {}).map(([k, v]) => [k, String(v)]),
    );
    // One step as long as the window: at most two buckets, since steps align to the epoch.
    const stepMs = Math.max(1, Math.ceil(window.endMillis - window.startMillis));
    const result = queryMetric(this.db, {
      name: metric.name,
      labels,
      window: nanos(window),
      stepMs,
      fn: "increase",
    });
    const values = result.series.flatMap((series) => series.points.map((point) => point.v));
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
  }

  async spanStarts(selector: SpanSelector, window: AbsoluteWindow): Promise<SpanStarts> {
    const range = nanos(window);
    const instances = statement<{ instance: string }>(
      this.db,
      `SELECT DISTINCT r.service_instance_id AS instance ${OF_SERVICE} ORDER BY instance`,
    ).all(selector.service, range.startNs, range.endNs);
    const conditions: string[] = [];
    const args: unknown[] = [];
    if (selector.name !== undefined) {
      conditions.push("s.name = ?");
      args.push(selector.name);
    }
    if (selector.kind !== undefined) {
      conditions.push("s.kind = ?");
      args.push(OTLP_SPAN_KIND[selector.kind]);
    }
    for (const [key, value] of Object.entries(selector.attributes ?? {})) {
      if (!isMatchableAttributeKey(key))
        throw new Error(`attribute key ${JSON.stringify(key)} cannot be matched`);
      const condition = attributeEquals("s.attributes", key, String(value));
      conditions.push(condition.sql);
      args.push(...condition.args);
    }
    const rows = statement<{ startNs: bigint; instance: string }>(
      this.db,
      `SELECT s.start_ns AS startNs, r.service_instance_id AS instance ${OF_SERVICE}${conditions.map((c) => ` AND ${c}`).join("")}`,
    ).all(selector.service, range.startNs, range.endNs, ...args);
    return {
      instances: instances.map((row) => row.instance),
      spans: rows.map((row) => ({ startMillis: Number(row.startNs / 1000n) / 1000, instance: row.instance })),
    };
  }

  async requestOutcomes(filter: SpanFilter, window: AbsoluteWindow): Promise<RequestOutcome[]> {
    const range = nanos(window);
    const spans =
      filter.operation === undefined
        ? entrySpansEndingIn(this.db, filter.service, range)
        : this.operationEndingIn(filter.service, filter.operation, range);
    return spans.map((span) => ({
      endMillis: Number(span.startNs / NS_PER_MS) + span.durationNs / 1e6,
      durationMillis: span.durationNs / 1e6,
      error: span.error,
    }));
  }

  /** `entrySpansEndingIn` for one operation. */
  private operationEndingIn(service: string, operation: string, range: TimeWindow): EntrySpan[] {
    // A request that ended in the window may have started up to LONGEST_REQUEST_NS before it.
    const started = ofOperation(operation, {
      startNs: range.startNs - LONGEST_REQUEST_NS,
      endNs: range.endNs,
    });
    return statement<{ startNs: bigint; durationNs: bigint; statusCode: bigint }>(
      this.db,
      `SELECT s.start_ns AS startNs, s.duration_ns AS durationNs, s.status_code AS statusCode
       ${started.sql} AND s.end_ns >= ? AND s.end_ns < ? ORDER BY s.end_ns`,
    )
      .all(service, ...started.args, range.startNs, range.endNs)
      .map((row) => ({
        startNs: row.startNs,
        durationNs: Number(row.durationNs),
        error: row.statusCode === 2n,
      }));
  }

  /**
   * The earliest of the decision's log records (info level and above reach the collector) and its span
   * events (recorded at every level, on the span active when the defense decided).
   */
  async firstDecision(selector: DecisionSelector, window: AbsoluteWindow): Promise<FirstDecision> {
    const range = nanos(window);
    const service =
      selector.service === undefined ? [] : [{ sql: "service_name = ?", args: [selector.service] }];
    const logs = where([
      { sql: "ts_ns >= ? AND ts_ns < ?", args: [range.startNs, range.endNs] },
      ...service,
      ...decisionConditions("attributes", selector),
    ]);
    const logged = statement<{ first: bigint | null }>(
      this.db,
      `SELECT min(ts_ns) AS first FROM logs WHERE ${logs.sql}`,
    ).get(...logs.args)?.first;
    const events = where([
      {
        sql: "s.start_ns >= ? AND s.start_ns < ? AND s.events LIKE ?",
        args: [range.startNs - LONGEST_REQUEST_NS, range.endNs, `%${DECISION_EVENT}%`],
      },
      ...service.map((c) => ({ ...c, sql: `s.${c.sql}` })),
      { sql: "e.value ->> '$.name' = ?", args: [DECISION_EVENT] },
      {
        sql: "CAST(e.value ->> '$.timeUnixNano' AS INTEGER) >= ? AND CAST(e.value ->> '$.timeUnixNano' AS INTEGER) < ?",
        args: [range.startNs, range.endNs],
      },
      ...decisionConditions("(e.value -> '$.attributes')", selector),
    ]);
    const evented = statement<{ first: bigint | null }>(
      this.db,
      `SELECT min(CAST(e.value ->> '$.timeUnixNano' AS INTEGER)) AS first
       FROM spans s, json_each(s.events) e WHERE ${events.sql}`,
    ).get(...events.args)?.first;
    const times = [logged, evented]
      .filter((t): t is bigint => t !== null && t !== undefined)
      .map((t) => Number(t / 1000n) / 1000);
    return {
      atMillis: times.length === 0 ? null : Math.min(...times),
      observed: times.length > 0 || this.anyRecord(selector.service, range),
    };
  }

  /** Whether the window holds any span or log record (of the service, when one is named). */
  private anyRecord(service: string | undefined, range: { startNs: bigint; endNs: bigint }): boolean {
    const ofService = service === undefined ? "" : " AND service_name = ?";
    const args = service === undefined ? [range.startNs, range.endNs] : [range.startNs, range.endNs, service];
    return (
      statement(this.db, `SELECT 1 FROM spans WHERE start_ns >= ? AND start_ns < ?${ofService} LIMIT 1`).get(
        ...args,
      ) !== undefined ||
      statement(this.db, `SELECT 1 FROM logs WHERE ts_ns >= ? AND ts_ns < ?${ofService} LIMIT 1`).get(
        ...args,
      ) !== undefined
    );
  }

  async sqlScalar(sql: string, window: AbsoluteWindow) {
    const prepared = this.db.prepare(sql).safeIntegers(true);
    if (!prepared.reader || !prepared.readonly)
      throw new Error("an sql assertion must be one read-only SELECT");
    const range = nanos(window);
    const used = (name: string) => new RegExp(`[@:$]${name}\\b`).test(sql);
    const bindings = Object.fromEntries(
      [
        ["start_ns", range.startNs],
        ["end_ns", range.endNs],
        ["start_ms", window.startMillis],
        ["end_ms", window.endMillis],
      ].filter(([name]) => used(name as string)),
    );
    const row = (
      Object.keys(bindings).length === 0 ? prepared.raw(true).get() : prepared.raw(true).get(bindings)
    ) as unknown[] | undefined;
    const value = row?.[0];
    if (value === undefined || value === null) return null;
    const number = Number(value);
    if (!Number.isFinite(number)) throw new Error(`the query answered ${String(value)}, not a number`);
    return number;
  }
}
