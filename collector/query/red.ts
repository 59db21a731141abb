import type Database from "better-sqlite3";
import { entrySpans } from "./entry-spans.js";
import { type LatencySummary, latencySummary } from "./percentile.js";
import { Buckets, type TimeWindow } from "./window.js";

export interface RedQuery {
  service: string;
  window: TimeWindow;
  stepMs: number;
}

export interface RedBucket extends LatencySummary {
  startMs: number;
  /** Requests per second over the part of the bucket inside the window. */
  rate: number;
  requests: number;
  errors: number;
  /** Null when there were no requests. */
  errorRatio: number | null;
}

/** Rate, errors and duration of the requests a service received, per step, from its entry spans. */
export function redMetrics(
  db: Database.Database,
  query: RedQuery,
): { service: string; stepMs: number; buckets: RedBucket[] } {
  const buckets = new Buckets(query.window, query.stepMs);
  const durations: number[][] = Array.from({ length: buckets.count }, () => []);
  const errors = new Array<number>(buckets.count).fill(0);
  for (const span of entrySpans(db, query.service, query.window)) {
    const index = buckets.index(span.startNs);
    durations[index]?.push(span.durationNs);
    if (span.error) errors[index] = (errors[index] ?? 0) + 1;
  }
  const result = durations.map((bucketDurations, index): RedBucket => {
    const requests = bucketDurations.length;
    const failed = errors[index] ?? 0;
    return {
      startMs: buckets.startMs(index),
      rate: requests / buckets.coveredSeconds(index),
      requests,
      errors: failed,
      errorRatio: requests === 0 ? null : failed / requests,
      ...latencySummary(bucketDurations),
    };
  });
  return { service: query.service, stepMs: query.stepMs, buckets: result };
}
