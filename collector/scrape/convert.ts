import { BadDataError } from "../errors.js";
import type { PointDetail, PointRow, SeriesPoints, SeriesRow } from "../model.js";
import { type FamilyType, type MetricFamily, parseFloatValue, type Sample } from "./exposition.js";

/** What the scraper remembers of one series between scrapes of its target. */
export interface SeriesState {
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** The counter value or the histogram's or summary's count; null for gauges. */
  cumulative: number | null;
}

export interface Converted {
  rows: SeriesPoints[];
  /** The state of every series in this scrape; series absent from it start afresh when they come back. */
  states: Map<string, SeriesState>;
  /** Labels of the `target_info` metric, which the OpenTelemetry mapping turns into resource attributes. */
  targetInfo: Record<string, string>;
}

// OpenMetrics renamed "untyped" to "unknown"; the OpenTelemetry mapping records the OpenMetrics name.
const PROMETHEUS_TYPES: Record<FamilyType, string> = {
  counter: "counter",
  gauge: "gauge",
  histogram: "histogram",
  summary: "summary",
  untyped: "unknown",
};

/** JSON with keys in sorted order, so one label set always gives one series key. */
export function sortedJson(map: Record<string, string>): string {
  const sorted: Record<string, string> = Object.create(null);
  for (const key of Object.keys(map).sort()) sorted[key] = map[key] as string;
  return JSON.stringify(sorted);
}

function without(labels: Record<string, string>, name: string): Record<string, string> {
  const rest: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(labels)) if (key !== name) rest[key] = value;
  return rest;
}

function emptyPoint(): PointRow {
  return {
    startTimeUnixNano: 0n,
    timeUnixNano: 0n,
    value: null,
    count: null,
    sum: null,
    min: null,
    max: null,
    flags: 0,
    detail: null,
    exemplars: null,
  };
}

/** The samples of one histogram or summary data point: one label set without `le` or `quantile`. */
interface Group {
  attributes: string;
  labeled: [bound: number, sample: Sample][];
  sum: Sample | null;
  count: Sample | null;
}

function group(family: MetricFamily, label: "le" | "quantile", labeledName: string): Group[] {
  const groups = new Map<string, Group>();
  for (const sample of family.samples) {
    const isLabeled = sample.name === labeledName;
    const attributes = sortedJson(isLabeled ? without(sample.labels, label) : sample.labels);
    let g = groups.get(attributes);
    if (g === undefined) {
      g = { attributes, labeled: [], sum: null, count: null };
      groups.set(attributes, g);
    }
    const where = `${sample.name}${attributes}`;
    if (isLabeled) {
      const text = sample.labels[label];
      if (text === undefined) throw new BadDataError(`${where} has no ${label} label`);
      const bound = parseFloatValue(text.trim());
      if (bound === null || Number.isNaN(bound)) throw new BadDataError(`${where} has ${label}="${text}"`);
      if (g.labeled.some(([b]) => b === bound)) throw new BadDataError(`${where} repeats ${label}="${text}"`);
      g.labeled.push([bound, sample]);
    } else if (sample.name === `${family.name}_sum`) {
      if (g.sum !== null) throw new BadDataError(`${where} appears twice`);
      g.sum = sample;
    } else if (sample.name === `${family.name}_count`) {
      if (g.count !== null) throw new BadDataError(`${where} appears twice`);
      g.count = sample;
    } else {
      throw new BadDataError(`${family.type} ${family.name} has an unexpected sample ${sample.name}`);
    }
  }
  for (const g of groups.values()) g.labeled.sort(([a], [b]) => a - b);
  return [...groups.values()];
}

function timestampOf(samples: (Sample | null)[]): number | null {
  for (const s of samples) if (s?.timestampMillis != null) return s.timestampMillis;
  return null;
}

interface Point {
  attributes: string;
  row: PointRow;
  timestampMillis: number | null;
}

function histogramPoints(family: MetricFamily): Point[] {
  const points: Point[] = [];
  for (const g of group(family, "le", `${family.name}_bucket`)) {
    // The OpenTelemetry mapping drops a histogram without a count rather than guess one.
    if (g.count === null) continue;
    const count = g.count.value;
    const explicitBounds: number[] = [];
    const bucketCounts: number[] = [];
    let previous = 0;
    for (const [bound, sample] of g.labeled) {
      if (bound === Infinity) continue;
      if (sample.value < previous) {
        throw new BadDataError(`${family.name}_bucket${g.attributes} decreases at le="${bound}"`);
      }
      explicitBounds.push(bound);
      bucketCounts.push(sample.value - previous);
      previous = sample.value;
    }
    // Prometheus buckets are cumulative; OTLP counts each bucket alone, the last one above every bound.
    const total = g.labeled.find(([bound]) => bound === Infinity)?.[1].value ?? count;
    if (total < previous)
      throw new BadDataError(`${family.name}_bucket${g.attributes} decreases at le="+Inf"`);
    bucketCounts.push(total - previous);
    const row = emptyPoint();
    row.count = count;
    row.sum = g.sum?.value ?? null;
    const detail: PointDetail = { bucketCounts, explicitBounds };
    row.detail = JSON.stringify(detail);
    points.push({
      attributes: g.attributes,
      row,
      timestampMillis: timestampOf([g.count, g.sum, ...g.labeled.map(([, s]) => s)]),
    });
  }
  return points;
}

function summaryPoints(family: MetricFamily): Point[] {
  const points: Point[] = [];
  for (const g of group(family, "quantile", family.name)) {
    if (g.count === null) continue;
    const row = emptyPoint();
    row.count = g.count.value;
    // OTLP summaries have a required sum; the OpenTelemetry mapping sets a missing one to zero.
    row.sum = g.sum?.value ?? 0;
    const detail: PointDetail = {
      quantiles: g.labeled.map(([quantile, s]) => ({ quantile, value: s.value })),
    };
    row.detail = JSON.stringify(detail);
    points.push({
      attributes: g.attributes,
      row,
      timestampMillis: timestampOf([g.count, g.sum, ...g.labeled.map(([, s]) => s)]),
    });
  }
  return points;
}

function valuePoints(family: MetricFamily): Point[] {
  const seen = new Set<string>();
  return family.samples.map((sample) => {
    const attributes = sortedJson(sample.labels);
    if (seen.has(attributes)) throw new BadDataError(`${sample.name}${attributes} appears twice`);
    seen.add(attributes);
    const row = emptyPoint();
    row.value = sample.value;
    return { attributes, row, timestampMillis: sample.timestampMillis };
  });
}

/** Series shape by Prometheus type, following OpenTelemetry's "Prometheus and OpenMetrics compatibility". */
function seriesBase(family: MetricFamily): Omit<SeriesRow, "attributes"> {
  const base = {
    // The Prometheus name stays as it is, `_total` included: users query the names they see on /metrics, and
    // the OpenTelemetry mapping leaves names unaltered by default.
    name: family.name,
    description: family.help,
    unit: "",
    metadata: JSON.stringify({ "prometheus.type": PROMETHEUS_TYPES[family.type] }),
  };
  switch (family.type) {
    case "counter":
      return { ...base, type: "sum", temporality: 2, monotonic: true };
    case "histogram":
      return { ...base, type: "histogram", temporality: 2, monotonic: false };
    // OTLP summaries carry no temporality.
    case "summary":
      return { ...base, type: "summary", temporality: 0, monotonic: false };
    case "gauge":
    case "untyped":
      return { ...base, type: "gauge", temporality: 0, monotonic: false };
  }
}

function pointsOf(family: MetricFamily): Point[] {
  if (family.type === "histogram") return histogramPoints(family);
  if (family.type === "summary") return summaryPoints(family);
  return valuePoints(family);
}

/**
 * Turns one scrape into series rows. Prometheus does not tell when a cumulative series started, so each series
 * starts when the scraper first saw it (`previous` holds what earlier scrapes of the target saw) and starts
 * again when its value drops, which means the target reset it.
 */
export function familiesToRows(
  families: readonly MetricFamily[],
  scrapeTimeUnixNano: bigint,
  previous: ReadonlyMap<string, SeriesState>,
): Converted {
  const rows: SeriesPoints[] = [];
  const states = new Map<string, SeriesState>();
  let targetInfo: Record<string, string> = {};
  for (const family of families) {
    const isInfo = family.type === "gauge" || family.type === "untyped";
    if (family.name === "target_info" && isInfo && family.samples.length === 1) {
      targetInfo = family.samples[0]?.labels ?? {};
      continue;
    }
    const base = seriesBase(family);
    for (const { attributes, row, timestampMillis } of pointsOf(family)) {
      const time = timestampMillis === null ? scrapeTimeUnixNano : BigInt(timestampMillis) * 1_000_000n;
      const cumulative = base.type === "gauge" ? null : (row.value ?? row.count);
      const key = `${family.name}\u0000${attributes}`;
      const before = previous.get(key);
      let start = before?.startTimeUnixNano ?? time;
      // The reset happened after the last point that still counted from the old start; the new count covers
      // at most the time since then.
      if (before && cumulative !== null && before.cumulative !== null && cumulative < before.cumulative) {
        start = before.timeUnixNano;
      }
      states.set(key, { startTimeUnixNano: start, timeUnixNano: time, cumulative });
      row.startTimeUnixNano = start;
      row.timeUnixNano = time;
      rows.push({ series: { ...base, attributes }, points: [row] });
    }
  }
  return { rows, states, targetInfo };
}
