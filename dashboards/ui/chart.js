import uPlot from "uplot";
import { h } from "./dom.js";

/** @import { Columns } from "./lib/chart-data.js" */

/**
 * @typedef {{
 *   title: string,
 *   series: { label: string, color: string, dash?: number[] }[],
 *   format: (value: number) => string,
 *   height?: number,
 *   sync?: string,
 *   xAxis?: { format(value: number): string },
 * }} ChartOptions
 * `xAxis`: x is a plain number (e.g. seconds from a run's start) labelled by `format`, not a time.
 */

/**
 * A stretch of x to shade (a fault window) or a moment to mark (a phase boundary), in the chart's x units.
 * @typedef {{ from: number, to: number, label: string, open?: boolean }} Band
 * @typedef {{ at: number, label: string }} Mark
 */

/**
 * @typedef {{
 *   el: HTMLElement,
 *   setData(columns: Columns, xRange: [number, number], yMax?: number): void,
 *   setBands(bands: Band[], marks?: Mark[]): void,
 *   destroy(): void,
 * }} TimeChart
 */

/**
 * Draws bands and marks as elements under the plot's canvas, placed from the x scale on every redraw (data,
 * zoom, resize). Elements rather than canvas paint, so what is shaded can be read from the DOM.
 * @param {() => { bands: Band[], marks: Mark[] }} current
 * @returns {uPlot.Plugin}
 */
function shadingPlugin(current) {
  const layer = h("div", { class: "shading" });
  /** @param {uPlot} u */
  const place = (u) => {
    const { bands, marks } = current();
    const width = u.over.clientWidth;
    const x = (/** @type {number} */ v) => Math.min(Math.max(u.valToPos(v, "x"), 0), width);
    layer.replaceChildren(
      ...bands.map((band) => {
        const left = x(band.from);
        return h(
          "div",
          {
            class: `band${band.open ? " open" : ""}`,
            title: band.label,
            dataset: { label: band.label },
            style: { left: `${left}px`, width: `${Math.max(x(band.to) - left, 1)}px` },
          },
          h("span", { text: band.label }),
        );
      }),
      ...marks.map((mark) =>
        h("div", {
          class: "mark",
          title: mark.label,
          dataset: { label: mark.label },
          style: { left: `${x(mark.at)}px` },
        }),
      ),
    );
  };
  return {
    hooks: {
      init: [(u) => u.under.append(layer)],
      draw: [place],
    },
  };
}

/**
 * A uPlot time-series chart that keeps what it shows until it is given new data: pausing live refresh leaves
 * the points in place, and a zoomed chart keeps its zoom across refreshes (double-click to reset).
 * It is created on its first data, once its container has a width.
 * @param {ChartOptions} options
 * @returns {TimeChart}
 */
export function timeChart(options) {
  const plot = h("div", { class: "chart-plot" });
  const el = h("figure", { class: "chart" }, h("figcaption", { text: options.title }), plot);
  const height = options.height ?? 160;
  /** @type {uPlot | undefined} */
  let chart;
  /** @type {[number, number] | undefined} */
  let xRange;
  /** @type {number | undefined} */
  let yMax;
  let zoomed = false;
  /** @type {ResizeObserver | undefined} */
  let observer;
  /** @type {{ bands: Band[], marks: Mark[] }} */
  let shading = { bands: [], marks: [] };

  /** @param {Columns} columns */
  const create = (columns) => {
    const width = plot.clientWidth || 400;
    chart = new uPlot(
      {
        width,
        height,
        cursor: {
          sync: options.sync === undefined ? undefined : { key: options.sync },
          drag: { x: true, y: false },
        },
        scales: {
          x: {
            time: options.xAxis === undefined,
            range: (_u, min, max) => (zoomed || xRange === undefined ? [min, max] : xRange),
          },
          y: {
            range: (_u, _min, max) => {
              const top = Math.max(max, yMax ?? 0);
              return [0, top > 0 ? top * 1.1 : 1];
            },
          },
        },
        axes: [
          {
            stroke: "#5b6472",
            grid: { stroke: "#eceff3" },
            ticks: { stroke: "#d5dae1" },
            ...(options.xAxis === undefined
              ? {}
              : { values: (_u, splits) => splits.map((v) => options.xAxis?.format(v) ?? String(v)) }),
          },
          {
            stroke: "#5b6472",
            size: 64,
            grid: { stroke: "#eceff3" },
            ticks: { stroke: "#d5dae1" },
            values: (_u, splits) => splits.map((v) => options.format(v)),
          },
        ],
        legend: { live: true },
        series: [
          options.xAxis === undefined
            ? {}
            : {
                label: "At",
                value: (/** @type {uPlot} */ _u, /** @type {number | null} */ v) =>
                  v === null ? "–" : (options.xAxis?.format(v) ?? String(v)),
              },
          ...options.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            dash: s.dash,
            spanGaps: false,
            points: { size: 4 },
            value: (/** @type {uPlot} */ _u, /** @type {number | null} */ v) =>
              v === null ? "–" : options.format(v),
          })),
        ],
        plugins: [shadingPlugin(() => shading)],
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width > 0) zoomed = true;
            },
          ],
        },
      },
      /** @type {uPlot.AlignedData} */ (columns),
      plot,
    );
    plot.addEventListener("dblclick", () => {
      zoomed = false;
      chart?.setData(chart.data, true);
    });
    observer = new ResizeObserver(() => {
      if (chart !== undefined && plot.clientWidth > 0 && plot.clientWidth !== chart.width) {
        chart.setSize({ width: plot.clientWidth, height });
      }
    });
    observer.observe(plot);
  };

  return {
    el,
    setData(columns, range, max) {
      xRange = range;
      yMax = max;
      const points = columns.slice(1).reduce((n, ys) => n + ys.filter((v) => v !== null).length, 0);
      el.dataset.points = String(points);
      if (chart === undefined) create(columns);
      else chart.setData(/** @type {uPlot.AlignedData} */ (columns), !zoomed);
    },
    setBands(bands, marks = []) {
      shading = { bands, marks };
      el.dataset.bands = String(bands.length);
      chart?.redraw(false);
    },
    destroy() {
      observer?.disconnect();
      chart?.destroy();
    },
  };
}
