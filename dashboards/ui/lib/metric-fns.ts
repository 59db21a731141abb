import type { SeriesSummary } from "../../../collector/query/metrics.js";

/** What `/api/metrics/query` can compute for a metric, best first, as docs/api.md's table says. */
export type MetricFn = "raw" | "increase" | "rate" | "avg" | "max" | "min" | "sum" | "quantile";

export function functionsFor(series: Pick<SeriesSummary, "type" | "monotonic">): MetricFn[] {
  switch (series.type) {
    case "histogram":
      return ["quantile", "rate", "increase", "raw", "avg", "max", "min", "sum"];
    case "exponential_histogram":
    case "summary":
      return ["rate", "increase", "raw", "avg", "max", "min", "sum"];
    case "sum":
      return series.monotonic
        ? ["rate", "increase", "raw", "avg", "max", "min", "sum"]
        : ["raw", "avg", "max", "min", "sum"];
    default:
      return ["raw", "avg", "max", "min", "sum"];
  }
}

export const FN_LABELS: Record<MetricFn, string> = {
  raw: "raw (last value)",
  increase: "increase",
  rate: "rate (per second)",
  avg: "avg",
  max: "max",
  min: "min",
  sum: "sum",
  quantile: "quantile",
};

/** A series' legend: its labels as `k=v` pairs, or the metric name when it has none. */
export function seriesLabel(name: string, labels: Record<string, unknown>): string {
  const pairs = Object.entries(labels).map(
    ([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`,
  );
  return pairs.length === 0 ? name : pairs.join(", ");
}
