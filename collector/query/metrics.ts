import type Database from "better-sqlite3";
import { InvalidParameterError, NotFoundError } from "../errors.js";
import type { Attributes, Exemplar, MetricType, PointDetail } from "../model.js";
import { attributeEquals, type SqlCondition } from "./attributes.js";
import { statement } from "./statements.js";
import { Buckets, type TimeWindow } from "./window.js";

const TEMPORALITY_NAMES = ["unspecified", "delta", "cumulative"] as const;
const DELTA = 1n;

export interface SeriesSummary {
  id: number;
  name: string;
  type: MetricType;
  unit: string;
  description: string;
  temporality: (typeof TEMPORALITY_NAMES)[number];
  monotonic: boolean;
  service: string;
  /** The point attributes. */
  labels: Attributes;
  /** The resource attributes. */
  resource: Attributes;
  points: number;
  firstNs: string | null;
  lastNs: string | null;
}

interface SummaryRow {
  id: bigint;
  name: string;
  type: MetricType;
  unit: string;
  description: string;
  temporality: bigint;
  monotonic: bigint;
  service: string;
  labels: string;
  resource: string;
  points: bigint;
  firstNs: bigint | null;
  lastNs: bigint | null;
}

/** The stored metric series, optionally of one metric name and one service. */
export function listSeries(
  db: Database.Database,
  filter: { name?: string; service?: string },
): { series: SeriesSummary[] } {
  const conditions: SqlCondition[] = [];
  if (filter.name !== undefined) conditions.push({ sql: "s.name = ?", args: [filter.name] });
  if (filter.service !== undefined) conditions.push({ sql: "s.service_name = ?", args: [filter.service] });
  const where = conditions.length === 0 ? "" : `WHERE ${conditions.map((c) => c.sql).join(" AND ")}`;
  const sql = `SELECT s.id, s.name, s.type, s.unit, s.description, s.temporality, s.monotonic,
      s.service_name AS service, s.attributes AS labels, r.attributes AS resource,
      (SELECT count(*) FROM metric_points WHERE series_id = s.id) AS points,
      (SELECT min(time_ns) FROM metric_points WHERE series_id = s.id) AS firstNs,
      (SELECT max(time_ns) FROM metric_points WHERE series_id = s.id) AS lastNs
    FROM metric_series s JOIN resources r ON r.id = s.resource_id ${where}
    ORDER BY s.name, s.service_name, s.id`;
  const rows = statement<SummaryRow>(db, sql).all(...conditions.flatMap((c) => c.args));
  return {
    series: rows.map((row) => ({
      id: Number(row.id),
      name: row.name,
      type: row.type,
      unit: row.unit,
      description: row.description,
      temporality: TEMPORALITY_NAMES[Number(row.temporality)] ?? "unspecified",
      monotonic: row.monotonic === 1n,
      service: row.service,
      labels: JSON.parse(row.labels),
      resource: JSON.parse(row.resource),
      points: Number(row.points),
      firstNs: row.firstNs?.toString() ?? null,
      lastNs: row.lastNs?.toString() ?? null,
    })),
  };
}

interface SeriesMeta {
  id: bigint;
  type: MetricType;
  temporality: bigint;
  monotonic: boolean;
  name: string;
  labels: Attributes;
}

/** What one point contributes: its value (a histogram's or summary's count) and, for histograms, its buckets. */
interface Sample {
  value: number;
  bounds?: number[];
  counts?: number[];
}

interface StepContext {
  coveredSeconds: number;
  q: number | undefined;
}

/** How one `fn` turns the points of a step into a number; a partial result P is kept per series and per group. */
interface StepFunction<P> {
  /** Why a series cannot feed the function, or null when it can. */
  unsuitable(series: SeriesMeta): string | null;
  /** Reads the increase from each point to the next rather than the points' values. */
  increases: boolean;
  /** Combines every selected series into one unless `by` groups them. */
  mergesAll: boolean;
  fold(partial: P | undefined, sample: Sample): P;
  merge(a: P, b: P): P;
  finish(partial: P, context: StepContext): number | null;
}

const anySeries = (): null => null;

const counters = (series: SeriesMeta): string | null =>
  (series.type === "sum" && series.monotonic) ||
  series.type.endsWith("histogram") ||
  series.type === "summary"
    ? null
    : `needs a monotonic sum, a histogram or a summary, but "${series.name}" is ${
        series.type === "sum" ? "a non-monotonic sum" : `a ${series.type}`
      }`;

const add = (a: number, b: number): number => a + b;

const increase: StepFunction<number> = {
  unsuitable: counters,
  increases: true,
  mergesAll: false,
  fold: (partial, sample) => (partial ?? 0) + sample.value,
  merge: add,
  finish: (partial) => partial,
};

function aggregate(pick: (a: number, b: number) => number): StepFunction<number> {
  return {
    unsuitable: anySeries,
    increases: false,
    mergesAll: false,
    fold: (partial, sample) => (partial === undefined ? sample.value : pick(partial, sample.value)),
    merge: pick,
    finish: (partial) => partial,
  };
}

type BucketCounts = Map<number, number>;

function addBuckets(into: BucketCounts, from: BucketCounts): BucketCounts {
  for (const [bound, count] of from) into.set(bound, (into.get(bound) ?? 0) + count);
  return into;
}

/**
 * Prometheus' histogram_quantile: find the bucket holding the q-th observation and interpolate linearly inside
 * it; the lowest bucket starts at 0 (when its bound is positive), and a rank in the +Inf bucket answers the
 * highest finite bound.
 */
export function histogramQuantile(q: number, buckets: BucketCounts): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  if (bounds.length < 2 || bounds.at(-1) !== Number.POSITIVE_INFINITY) return null;
  const cumulative: number[] = [];
  let running = 0;
  for (const bound of bounds) {
    running += buckets.get(bound) ?? 0;
    cumulative.push(running);
  }
  if (running === 0) return null;
  const rank = q * running;
  // At q = 0 the answer is the start of the first bucket that holds anything, not of an empty one.
  let index = cumulative.findIndex((count, i) => i < bounds.length - 1 && count >= rank && count > 0);
  if (index === -1) index = bounds.length - 1;
  const upper = bounds[index] as number;
  if (upper === Number.POSITIVE_INFINITY) return bounds[index - 1] as number;
  if (index === 0 && upper <= 0) return upper;
  const lower = index === 0 ? 0 : (bounds[index - 1] as number);
  const below = index === 0 ? 0 : (cumulative[index - 1] as number);
  return lower + (upper - lower) * ((rank - below) / ((cumulative[index] as number) - below));
}

/** The registry behind both the validation of `fn` and its execution. */
const STEP_FUNCTIONS = {
  /** The last value each series reported in the step; grouped series add up. */
  raw: {
    unsuitable: anySeries,
    increases: false,
    mergesAll: false,
    fold: (_partial, sample) => sample.value,
    merge: add,
    finish: (partial) => partial,
  } satisfies StepFunction<number>,
  rate: {
    ...increase,
    finish: (partial, context) => partial / context.coveredSeconds,
  } satisfies StepFunction<number>,
  increase,
  avg: {
    unsuitable: anySeries,
    increases: false,
    mergesAll: false,
    fold: (partial, sample) => ({
      sum: (partial?.sum ?? 0) + sample.value,
      count: (partial?.count ?? 0) + 1,
    }),
    merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
    finish: (partial) => partial.sum / partial.count,
  } satisfies StepFunction<{ sum: number; count: number }>,
  max: aggregate(Math.max),
  min: aggregate(Math.min),
  sum: aggregate(add),
  quantile: {
    unsuitable: (series) =>
      series.type === "histogram"
        ? null
        : `needs an explicit-bucket histogram, but "${series.name}" is a ${series.type}`,
    increases: true,
    mergesAll: true,
    fold: (partial, sample) => {
      const into = partial ?? new Map<number, number>();
      if (sample.counts === undefined || sample.bounds === undefined) return into;
      for (const [i, count] of sample.counts.entries()) {
        const bound = sample.bounds[i] ?? Number.POSITIVE_INFINITY;
        into.set(bound, (into.get(bound) ?? 0) + count);
      }
      return into;
    },
    merge: addBuckets,
    finish: (partial, context) => (context.q === undefined ? null : histogramQuantile(context.q, partial)),
  } satisfies StepFunction<BucketCounts>,
};

export type MetricFunctionName = keyof typeof STEP_FUNCTIONS;
export const METRIC_FUNCTIONS = Object.keys(STEP_FUNCTIONS) as MetricFunctionName[];

export interface MetricQuery {
  name: string;
  service?: string;
  /** Point attributes the series must carry, compared as text. */
  labels: Record<string, string>;
  window: TimeWindow;
  stepMs: number;
  fn: MetricFunctionName;
  /** The quantile for fn=quantile, in [0, 1]. */
  q?: number;
  /** Labels to group by; the other labels are aggregated away. */
  by?: string[];
}

export interface MetricQueryResult {
  name: string;
  fn: MetricFunctionName;
  stepMs: number;
  series: { labels: Attributes; points: { t: number; v: number }[] }[];
}

interface SeriesRow {
  id: bigint;
  type: MetricType;
  temporality: bigint;
  monotonic: bigint;
  attributes: string;
  service: string;
  instance: string;
}

interface PointRow {
  startNs: bigint;
  timeNs: bigint;
  value: number | null;
  count: bigint | null;
  detail: string | null;
}

interface Point extends Sample {
  startNs: bigint;
  timeNs: bigint;
}

function selectSeries(db: Database.Database, query: MetricQuery): SeriesMeta[] {
  const conditions: SqlCondition[] = [{ sql: "s.name = ?", args: [query.name] }];
  if (query.service !== undefined) conditions.push({ sql: "s.service_name = ?", args: [query.service] });
  for (const [key, value] of Object.entries(query.labels))
    conditions.push(attributeEquals("s.attributes", key, value));
  const sql = `SELECT s.id, s.type, s.temporality, s.monotonic, s.attributes, s.service_name AS service,
      r.service_instance_id AS instance
    FROM metric_series s JOIN resources r ON r.id = s.resource_id
    WHERE ${conditions.map((c) => c.sql).join(" AND ")} ORDER BY s.id`;
  return statement<SeriesRow>(db, sql)
    .all(...conditions.flatMap((c) => c.args))
    .map((row) => {
      // The resource identity is what tells apart two instances reporting the same point attributes.
      const identity: Attributes = { "service.name": row.service };
      if (row.instance !== "") identity["service.instance.id"] = row.instance;
      return {
        id: row.id,
        type: row.type,
        temporality: row.temporality,
        monotonic: row.monotonic === 1n,
        name: query.name,
        labels: { ...identity, ...JSON.parse(row.attributes) },
      };
    });
}

function toPoint(series: SeriesMeta, row: PointRow, withBuckets: boolean): Point {
  const value = series.type === "gauge" || series.type === "sum" ? (row.value ?? 0) : Number(row.count ?? 0n);
  const point: Point = { startNs: row.startNs, timeNs: row.timeNs, value };
  if (withBuckets && row.detail !== null) {
    const detail = JSON.parse(row.detail) as PointDetail;
    point.bounds = detail.explicitBounds ?? [];
    point.counts = detail.bucketCounts;
  }
  return point;
}

function restarted(previous: Point, point: Point): boolean {
  if (point.value < previous.value) return true;
  if (point.startNs !== 0n && previous.startNs !== 0n && point.startNs !== previous.startNs) return true;
  if (point.counts === undefined || previous.counts === undefined) return false;
  if (point.counts.length !== previous.counts.length) return true;
  return point.counts.some((count, i) => count < (previous.counts?.[i] ?? 0));
}

function difference(previous: Point, point: Point): Sample {
  const sample: Sample = { value: point.value - previous.value };
  if (point.counts !== undefined && point.bounds !== undefined) {
    sample.bounds = point.bounds;
    sample.counts = point.counts.map((count, i) => count - (previous.counts?.[i] ?? 0));
  }
  return sample;
}

/**
 * The increase each point reports, dated at the point. A delta point is its own increase; a cumulative point's is
 * the change since the previous point, or its whole value after a reset (a drop, or a new start time).
 */
function* increasesOf(series: SeriesMeta, points: Point[], previous: Point | undefined, window: TimeWindow) {
  let last = previous;
  for (const point of points) {
    if (series.temporality === DELTA) yield point;
    else if (last !== undefined)
      yield restarted(last, point) ? point : { ...difference(last, point), timeNs: point.timeNs };
    // With no earlier point the increase is only known for a stream that started inside the window.
    else if (point.startNs !== 0n && point.startNs >= window.startNs) yield point;
    last = point;
  }
}

/** Where a series goes: its own group, its `by` labels' group, or the single group of a merging function. */
function groupOf(
  series: SeriesMeta,
  query: MetricQuery,
  fn: StepFunction<unknown>,
): { key: string; labels: Attributes } {
  if (query.by !== undefined) {
    const labels: Attributes = {};
    for (const name of query.by) {
      const value = series.labels[name];
      if (value !== undefined) labels[name] = value;
    }
    return { key: JSON.stringify(query.by.map((name) => series.labels[name] ?? null)), labels };
  }
  return fn.mergesAll ? { key: "", labels: {} } : { key: String(series.id), labels: series.labels };
}

/** Points of the named metric, reduced per step by `fn` and grouped by `by`. */
export function queryMetric(db: Database.Database, query: MetricQuery): MetricQueryResult {
  if (query.fn === "quantile" && query.q === undefined) {
    throw new InvalidParameterError("q", "is required by fn=quantile");
  }
  if (query.fn !== "quantile" && query.q !== undefined) {
    throw new InvalidParameterError("q", "only applies to fn=quantile");
  }
  const fn = STEP_FUNCTIONS[query.fn] as StepFunction<unknown>;
  const series = selectSeries(db, query);
  for (const one of series) {
    const problem = fn.unsuitable(one);
    if (problem !== null) throw new InvalidParameterError("fn", `cannot be ${query.fn}: it ${problem}`);
  }

  const buckets = new Buckets(query.window, query.stepMs);
  const inWindow = statement<PointRow>(
    db,
    `SELECT start_ns AS startNs, time_ns AS timeNs, value, count, detail FROM metric_points
     WHERE series_id = ? AND time_ns >= ? AND time_ns < ? ORDER BY time_ns`,
  );
  const before = statement<PointRow>(
    db,
    `SELECT start_ns AS startNs, time_ns AS timeNs, value, count, detail FROM metric_points
     WHERE series_id = ? AND time_ns < ? ORDER BY time_ns DESC LIMIT 1`,
  );
  const withBuckets = query.fn === "quantile";
  const groups = new Map<string, { labels: Attributes; steps: Map<number, unknown> }>();

  for (const one of series) {
    const points = inWindow
      .all(one.id, query.window.startNs, query.window.endNs)
      .map((row) => toPoint(one, row, withBuckets));
    let samples: Iterable<Sample & { timeNs: bigint }> = points;
    if (fn.increases) {
      const previousRow = one.temporality === DELTA ? undefined : before.get(one.id, query.window.startNs);
      const previous = previousRow === undefined ? undefined : toPoint(one, previousRow, withBuckets);
      samples = increasesOf(one, points, previous, query.window);
    }

    const { key, labels } = groupOf(one, query, fn);
    let group = groups.get(key);
    if (group === undefined) {
      group = { labels, steps: new Map() };
      groups.set(key, group);
    }
    // Fold the series on its own first: raw keeps each series' last value, and only then adds series up.
    const steps = new Map<number, unknown>();
    for (const sample of samples) {
      const index = buckets.index(sample.timeNs);
      steps.set(index, fn.fold(steps.get(index), sample));
    }
    for (const [index, partial] of steps) {
      const existing = group.steps.get(index);
      group.steps.set(index, existing === undefined ? partial : fn.merge(existing, partial));
    }
  }

  const result = [...groups.values()].map(({ labels, steps }) => {
    const points: { t: number; v: number }[] = [];
    for (const index of [...steps.keys()].sort((a, b) => a - b)) {
      const v = fn.finish(steps.get(index), { coveredSeconds: buckets.coveredSeconds(index), q: query.q });
      if (v !== null && Number.isFinite(v)) points.push({ t: buckets.startMs(index), v });
    }
    return { labels, points };
  });
  result.sort((a, b) => {
    const x = JSON.stringify(a.labels);
    const y = JSON.stringify(b.labels);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return { name: query.name, fn: query.fn, stepMs: query.stepMs, series: result };
}

export interface SeriesPointsQuery {
  seriesId: number;
  window: TimeWindow;
  limit: number;
}

/** One stored point with every field it arrived with: the shape-specific detail is spread into it. */
export type StoredPoint = PointDetail & {
  startNs: string;
  timeNs: string;
  value: number | null;
  count: number | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  flags: number;
  exemplars: Exemplar[];
};

interface PointRowRead {
  startNs: bigint;
  timeNs: bigint;
  value: number | null;
  count: bigint | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  flags: bigint;
  detail: string | null;
  exemplars: string | null;
}

const asNumber = (value: number | bigint | null) => (value === null ? null : Number(value));

/** The raw points of one series in the window, oldest first: histogram buckets, quantiles and exemplars included. */
export function seriesPoints(
  db: Database.Database,
  query: SeriesPointsQuery,
): { seriesId: number; points: StoredPoint[] } {
  const exists = statement<{ id: bigint }>(db, "SELECT id FROM metric_series WHERE id = ?").get(
    query.seriesId,
  );
  if (exists === undefined) throw new NotFoundError(`metric series ${query.seriesId}`);
  const rows = statement<PointRowRead>(
    db,
    `SELECT start_ns AS startNs, time_ns AS timeNs, value, count, sum, min, max, flags, detail, exemplars
       FROM metric_points WHERE series_id = ? AND time_ns >= ? AND time_ns < ?
       ORDER BY time_ns LIMIT ?`,
  ).all(query.seriesId, query.window.startNs, query.window.endNs, query.limit);
  return {
    seriesId: query.seriesId,
    points: rows.map((row) => ({
      ...(row.detail === null ? {} : (JSON.parse(row.detail) as PointDetail)),
      startNs: row.startNs.toString(),
      timeNs: row.timeNs.toString(),
      value: asNumber(row.value),
      count: asNumber(row.count),
      sum: asNumber(row.sum),
      min: asNumber(row.min),
      max: asNumber(row.max),
      flags: Number(row.flags),
      exemplars: row.exemplars === null ? [] : (JSON.parse(row.exemplars) as Exemplar[]),
    })),
  };
}
