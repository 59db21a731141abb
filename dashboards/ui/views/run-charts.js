import { api } from "../api.js";
import { timeChart } from "../chart.js";
import { h, replace } from "../dom.js";
import { alignPoints } from "../lib/chart-data.js";
import { seriesColor, serviceColor } from "../lib/colors.js";
import { formatMs, formatPercent, formatRate } from "../lib/format.js";
import { formatQuantity } from "../lib/measurement.js";
import { faultWindows, formatOffset } from "../lib/run-timeline.js";

/**
 * @import { RunDetail } from "../../../collector/query/runs.js"
 * @import { Band, ChartOptions, Mark, TimeChart } from "../chart.js"
 * @import { Columns } from "../lib/chart-data.js"
 */

/**
 * Where a run's charts put x: epoch seconds (beside the rest of the telemetry), or seconds from the method's
 * start, so two runs line up for comparison.
 * @typedef {{ originMs: number | null, range?: [number, number] }} XAxis
 */

/**
 * A place for one chart that is made again when what it plots changes (uPlot's series are fixed when it is
 * made), and otherwise only given new data, so that zoom and cursor survive a live refresh.
 */
export class ChartSlot {
  constructor() {
    this.el = h("div", { class: "chart-slot" });
    /** @type {TimeChart | undefined} */
    this.chart = undefined;
    this.key = "";
  }

  /**
   * @param {string} key what the chart plots: a new key makes a new chart
   * @param {() => ChartOptions} options
   * @param {Columns} columns
   * @param {[number, number]} xRange
   * @param {{ bands: Band[], marks: Mark[], yMax?: number }} extras
   */
  show(key, options, columns, xRange, extras) {
    if (this.chart === undefined || key !== this.key) {
      this.chart?.destroy();
      this.chart = timeChart(options());
      this.key = key;
      replace(this.el, this.chart.el);
    }
    this.chart.setBands(extras.bands, extras.marks);
    this.chart.setData(columns, xRange, extras.yMax);
  }

  destroy() {
    this.chart?.destroy();
  }
}

/**
 * The run's extent, fault windows and method boundaries in a chart's x units.
 * @param {RunDetail} run
 * @param {number} nowMs
 * @param {XAxis} axis
 */
export function runFrame(run, nowMs, axis) {
  const x = (/** @type {number} */ ms) => (ms - (axis.originMs ?? 0)) / 1000;
  const endMs = Math.max(run.endMs ?? nowMs, run.startMs + 1000);
  /** @type {Band[]} */
  const bands = faultWindows(run, nowMs).map((w) => ({
    from: x(w.startMs),
    to: x(w.endMs),
    label: `${w.id} (${w.fault})`,
    open: w.open,
  }));
  /** @type {Mark[]} */
  const marks = [];
  if (run.methodStartMs !== null) marks.push({ at: x(run.methodStartMs), label: "method starts" });
  if (run.methodEndMs !== null) marks.push({ at: x(run.methodEndMs), label: "method ends" });
  /** @type {[number, number]} */
  const xRange = [x(run.startMs), x(endMs)];
  return { x, xRange, bands, marks };
}

/** @param {XAxis} axis */
function xAxisOption(axis) {
  const originMs = axis.originMs;
  return originMs === null
    ? {}
    : { xAxis: { format: (/** @type {number} */ v) => formatOffset(v * 1000, 0) } };
}

const UNIT_TITLES = /** @type {Record<string, string>} */ ({
  "req/s": "Load: requests per second",
  ms: "Load: latency",
  ratio: "Load: error ratio",
});

/**
 * @param {string} name
 * @param {number} index
 */
function groundTruthColor(name, index) {
  if (/fail|error/i.test(name)) return "#e15759";
  if (/p\d+|latency/i.test(name)) return "#f28e2b";
  return seriesColor(index);
}

/**
 * The run's own series by unit (what the load itself saw, per second: no telemetry lag), one chart per unit.
 * @param {RunDetail} run
 */
export function seriesByUnit(run) {
  /** @type {Map<string, RunDetail["series"]>} */
  const byUnit = new Map();
  for (const s of run.series) byUnit.set(s.unit, [...(byUnit.get(s.unit) ?? []), s]);
  return byUnit;
}

/**
 * Charts of a run's ground-truth series, one per unit, with the fault windows shaded.
 * @param {string} sync cursor sync key
 */
export function groundTruthCharts(sync) {
  /** @type {Map<string, ChartSlot>} */
  const slots = new Map();
  const el = h("div", { class: "charts two" });
  return {
    el,
    /**
     * @param {RunDetail} run
     * @param {number} nowMs
     * @param {XAxis} axis
     * @param {Map<string, number>} [yMaxByUnit] a shared top per unit, so that two runs' charts compare
     */
    update(run, nowMs, axis, yMaxByUnit) {
      const frame = runFrame(run, nowMs, axis);
      const units = seriesByUnit(run);
      for (const [unit, slot] of slots) {
        if (!units.has(unit)) {
          slot.destroy();
          slots.delete(unit);
        }
      }
      for (const [unit, series] of units) {
        let slot = slots.get(unit);
        if (slot === undefined) {
          slot = new ChartSlot();
          slots.set(unit, slot);
        }
        const shifted = series.map((s) => ({
          points: s.points.map((p) => ({ t: frame.x(p.t) * 1000, v: p.v })),
        }));
        slot.show(
          series.map((s) => s.name).join("\n"),
          () => ({
            title: UNIT_TITLES[unit] ?? `Load: ${series.map((s) => s.name).join(", ")}`,
            series: series.map((s, i) => ({ label: s.name, color: groundTruthColor(s.name, i) })),
            format: (v) => formatQuantity(v, unit),
            sync,
            ...xAxisOption(axis),
          }),
          alignPoints(shifted),
          axis.range ?? frame.xRange,
          { bands: frame.bands, marks: frame.marks, yMax: yMaxByUnit?.get(unit) },
        );
      }
      replace(el, ...[...slots.values()].map((slot) => slot.el));
      el.dataset.charts = String(slots.size);
    },
    destroy() {
      for (const slot of slots.values()) slot.destroy();
    },
  };
}

/** @typedef {import("../../../collector/query/red.js").RedBucket} RedBucket */

const TELEMETRY = /** @type {const} */ ([
  ["rate", "Telemetry: requests per second", (/** @type {number} */ v) => formatRate(v)],
  ["errorRatio", "Telemetry: error ratio", (/** @type {number} */ v) => formatPercent(v)],
  ["p99Ms", "Telemetry: p99 latency", (/** @type {number} */ v) => formatMs(v)],
]);

/**
 * What the collector saw during the run: rate, error ratio and p99 of every service that received requests in
 * the run's window (from `/api/red`), a line per service, with the fault windows shaded.
 * @param {string} sync cursor sync key
 * @param {AbortSignal} signal
 */
export function telemetryCharts(sync, signal) {
  const slots = TELEMETRY.map(() => new ChartSlot());
  const note = h("p", { class: "hint" });
  const el = h("div", {}, h("div", { class: "charts three" }, ...slots.map((s) => s.el)), note);
  return {
    el,
    /**
     * @param {RunDetail} run
     * @param {number} nowMs
     */
    async update(run, nowMs) {
      const frame = runFrame(run, nowMs, { originMs: null });
      const window = {
        start: String(run.startMs),
        end: String(Math.max(run.endMs ?? nowMs, run.startMs + 1000)),
      };
      const { services } = await api.services(window, signal);
      const traced = services.filter((s) => s.signals.traces).map((s) => s.name);
      const reds = await Promise.all(traced.map((service) => api.red({ service, ...window }, signal)));
      const active = reds.filter((red) => red.buckets.some((b) => b.requests > 0));
      note.textContent =
        active.length === 0
          ? "No service received requests in this run's window (telemetry may still be on its way)."
          : "Entry spans of every service that received requests in the run's window; click a legend entry to hide a line.";
      TELEMETRY.forEach(([field, title, format], i) => {
        const columns = alignPoints(
          active.map((red) => ({
            points: red.buckets.flatMap((b) => {
              const v = b[field];
              return v === null ? [] : [{ t: b.startMs, v }];
            }),
          })),
        );
        slots[i]?.show(
          `${field}\n${active.map((red) => red.service).join("\n")}`,
          () => ({
            title,
            series: active.map((red) => ({ label: red.service, color: serviceColor(red.service) })),
            format,
            sync,
          }),
          columns,
          frame.xRange,
          { bands: frame.bands, marks: frame.marks },
        );
      });
    },
    destroy() {
      for (const slot of slots) slot.destroy();
    },
  };
}
