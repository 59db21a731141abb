import type Database from "better-sqlite3";
import { statement } from "./statements.js";
import type { TimeWindow } from "./window.js";

export interface ServiceSummary {
  name: string;
  instances: string[];
  /** Spans that started in the window. */
  spanCount: number;
  errorCount: number;
  /** Earliest and latest telemetry of any signal, over everything stored. */
  firstSeenNs: string | null;
  lastSeenNs: string | null;
  signals: { traces: boolean; metrics: boolean; logs: boolean };
}

interface Row {
  spanCount: bigint;
  errorCount: bigint;
  spansFirst: bigint | null;
  spansLast: bigint | null;
  metricsFirst: bigint | null;
  metricsLast: bigint | null;
  logsFirst: bigint | null;
  logsLast: bigint | null;
}

// Each bound is its own subquery so that SQLite answers it from one end of an index instead of a scan.
const SUMMARY_SQL = `SELECT
  (SELECT count(*) FROM spans WHERE service_name = @service AND start_ns >= @start AND start_ns < @end) AS spanCount,
  (SELECT count(*) FROM spans
    WHERE service_name = @service AND start_ns >= @start AND start_ns < @end AND status_code = 2) AS errorCount,
  (SELECT min(start_ns) FROM spans WHERE service_name = @service) AS spansFirst,
  (SELECT max(start_ns) FROM spans WHERE service_name = @service) AS spansLast,
  (SELECT min((SELECT min(time_ns) FROM metric_points WHERE series_id = m.id))
    FROM metric_series m WHERE m.service_name = @service) AS metricsFirst,
  (SELECT max((SELECT max(time_ns) FROM metric_points WHERE series_id = m.id))
    FROM metric_series m WHERE m.service_name = @service) AS metricsLast,
  (SELECT min(ts_ns) FROM logs WHERE service_name = @service) AS logsFirst,
  (SELECT max(ts_ns) FROM logs WHERE service_name = @service) AS logsLast`;

function extreme(values: (bigint | null)[], pick: (a: bigint, b: bigint) => boolean): string | null {
  let best: bigint | null = null;
  for (const value of values) if (value !== null && (best === null || pick(value, best))) best = value;
  return best === null ? null : best.toString();
}

/** Every service that has sent a resource, with its span counts in the window. */
export function listServices(db: Database.Database, window: TimeWindow): { services: ServiceSummary[] } {
  const instances = new Map<string, string[]>();
  const resources = statement<{ name: string; instance: string }>(
    db,
    `SELECT DISTINCT service_name AS name, service_instance_id AS instance FROM resources
     ORDER BY service_name, service_instance_id`,
  ).all();
  for (const { name, instance } of resources) {
    const list = instances.get(name) ?? [];
    if (instance !== "") list.push(instance);
    instances.set(name, list);
  }

  const summary = statement<Row>(db, SUMMARY_SQL);
  const services = [...instances].map(([name, ids]): ServiceSummary => {
    const row = summary.get({ service: name, start: window.startNs, end: window.endNs }) as Row;
    return {
      name,
      instances: ids,
      spanCount: Number(row.spanCount),
      errorCount: Number(row.errorCount),
      firstSeenNs: extreme([row.spansFirst, row.metricsFirst, row.logsFirst], (a, b) => a < b),
      lastSeenNs: extreme([row.spansLast, row.metricsLast, row.logsLast], (a, b) => a > b),
      signals: {
        traces: row.spansFirst !== null,
        metrics: row.metricsFirst !== null,
        logs: row.logsFirst !== null,
      },
    };
  });
  return { services };
}
