import { BadDataError } from "../errors.js";
import type { Exemplar, MetricType, PointDetail, PointRow, SeriesPoints, SeriesRow } from "../model.js";
import { type Normalized, normalizeRequest } from "./normalized.js";
import {
  attributes,
  bool,
  count,
  double,
  enumValue,
  has,
  id,
  int64,
  type Loose,
  list,
  optionalDouble,
  string,
  uint32,
} from "./values.js";

const TEMPORALITIES = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

/** The OTLP `data` oneof: which field is set decides the metric type. */
const DATA_FIELDS: readonly [string, MetricType][] = [
  ["gauge", "gauge"],
  ["sum", "sum"],
  ["histogram", "histogram"],
  ["exponentialHistogram", "exponential_histogram"],
  ["summary", "summary"],
];

function exemplar(e: Loose): Exemplar {
  const isInt = has(e, "asInt");
  return {
    filteredAttributes: attributes(e?.filteredAttributes),
    timeUnixNano: int64(e?.timeUnixNano, "exemplar.timeUnixNano").toString(),
    value: isInt ? Number(int64(e.asInt, "exemplar.asInt")) : double(e?.asDouble, "exemplar.asDouble"),
    valueIsInt: isInt,
    spanId: id(e?.spanId, 8, "exemplar.spanId"),
    traceId: id(e?.traceId, 16, "exemplar.traceId"),
  };
}

function counts(values: Loose, field: string): number[] {
  return list(values).map((v) => count(v, field));
}

function buckets(b: Loose, field: string): { offset: number; bucketCounts: number[] } {
  const offset = b?.offset ?? 0;
  if (typeof offset !== "number" || !Number.isInteger(offset))
    throw new BadDataError(`${field}.offset is not an integer`);
  return { offset, bucketCounts: counts(b?.bucketCounts, `${field}.bucketCounts`) };
}

function point(type: MetricType, p: Loose): PointRow {
  if (p === null || typeof p !== "object") throw new BadDataError("data point is not an object");
  const exemplars = list(p.exemplars);
  const row: PointRow = {
    startTimeUnixNano: int64(p.startTimeUnixNano, "point.startTimeUnixNano"),
    timeUnixNano: int64(p.timeUnixNano, "point.timeUnixNano"),
    value: null,
    count: null,
    sum: null,
    min: null,
    max: null,
    flags: uint32(p.flags, "point.flags"),
    detail: null,
    exemplars: exemplars.length === 0 ? null : JSON.stringify(exemplars.map(exemplar)),
  };
  let detail: PointDetail | null = null;
  switch (type) {
    case "gauge":
    case "sum":
      if (has(p, "asInt")) {
        row.value = Number(int64(p.asInt, "point.asInt"));
        detail = { int: true };
      } else {
        row.value = double(p.asDouble, "point.asDouble");
      }
      break;
    case "histogram": {
      row.count = count(p.count, "point.count");
      row.sum = optionalDouble(p, "sum");
      row.min = optionalDouble(p, "min");
      row.max = optionalDouble(p, "max");
      const bucketCounts = counts(p.bucketCounts, "point.bucketCounts");
      const explicitBounds = list(p.explicitBounds).map((b) => double(b, "point.explicitBounds"));
      if (bucketCounts.length !== 0 && bucketCounts.length !== explicitBounds.length + 1) {
        throw new BadDataError(
          `histogram point has ${bucketCounts.length} bucket counts for ${explicitBounds.length} bounds`,
        );
      }
      detail = { bucketCounts, explicitBounds };
      break;
    }
    case "exponential_histogram":
      row.count = count(p.count, "point.count");
      row.sum = optionalDouble(p, "sum");
      row.min = optionalDouble(p, "min");
      row.max = optionalDouble(p, "max");
      detail = {
        scale: typeof p.scale === "number" ? p.scale : 0,
        zeroCount: count(p.zeroCount, "point.zeroCount"),
        zeroThreshold: double(p.zeroThreshold, "point.zeroThreshold"),
        positive: buckets(p.positive, "point.positive"),
        negative: buckets(p.negative, "point.negative"),
      };
      break;
    case "summary":
      row.count = count(p.count, "point.count");
      row.sum = double(p.sum, "point.sum");
      detail = {
        quantiles: list(p.quantileValues).map((q) => ({
          quantile: double(q?.quantile, "quantile"),
          value: double(q?.value, "quantile.value"),
        })),
      };
      break;
  }
  row.detail = detail === null ? null : JSON.stringify(detail);
  return row;
}

/** The points of whichever `data` field is set; used to count what a rejected metric carried. */
function dataPointsOf(metric: Loose): Loose[] {
  for (const [field] of DATA_FIELDS)
    if (metric !== null && typeof metric === "object" && has(metric, field))
      return list(metric[field].dataPoints);
  return [];
}

function metricType(metric: Loose): [MetricType, Loose] {
  for (const [field, type] of DATA_FIELDS) {
    if (has(metric, field)) return [type, metric[field]];
  }
  throw new BadDataError(
    `metric "${metric.name}" has no data (gauge, sum, histogram, exponentialHistogram or summary)`,
  );
}

/** Splits one OTLP metric into series, one per distinct point attribute set, rejecting bad points one by one. */
function metricSeries(metric: Loose, reject: (error: unknown, items: number) => void): SeriesPoints[] {
  let type: MetricType;
  let data: Loose;
  let base: Omit<SeriesRow, "attributes">;
  try {
    if (metric === null || typeof metric !== "object") throw new BadDataError("metric is not an object");
    [type, data] = metricType(metric);
    const name = string(metric.name, "metric.name");
    if (name === "") throw new BadDataError("metric.name is empty");
    base = {
      name,
      description: string(metric.description, "metric.description"),
      unit: string(metric.unit, "metric.unit"),
      type,
      temporality: enumValue(data.aggregationTemporality, TEMPORALITIES, "metric.aggregationTemporality"),
      monotonic: bool(data.isMonotonic, "metric.isMonotonic"),
      metadata: JSON.stringify(attributes(metric.metadata)),
    };
  } catch (error) {
    reject(error, Math.max(1, dataPointsOf(metric).length));
    return [];
  }
  const byAttributes = new Map<string, SeriesPoints>();
  for (const p of list(data.dataPoints)) {
    try {
      const attrs = JSON.stringify(attributes(p?.attributes));
      const row = point(type, p);
      let series = byAttributes.get(attrs);
      if (series === undefined) {
        series = { series: { ...base, attributes: attrs }, points: [] };
        byAttributes.set(attrs, series);
      }
      series.points.push(row);
    } catch (error) {
      reject(error, 1);
    }
  }
  return [...byAttributes.values()];
}

export function normalizeMetrics(request: Loose): Normalized<SeriesPoints> {
  return normalizeRequest(
    request,
    { resources: "resourceMetrics", scopes: "scopeMetrics", items: "metrics" },
    (items) => items.reduce((n: number, metric: Loose) => n + Math.max(1, dataPointsOf(metric).length), 0),
    (items, reject) => items.flatMap((metric) => metricSeries(metric, reject)),
  );
}
