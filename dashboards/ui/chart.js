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
 * }} ChartOptions
 */

/**
 * @typedef {{
 *   el: HTMLElement,
 *   setData(columns: Columns, xRange: [number, number]): void,
 *   destroy(): void,
 * }} TimeChart
 */

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
  let zoomed = false;
  /** @type {ResizeObserver | undefined} */
  let observer;

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
          x: { time: true, range: (_u, min, max) => (zoomed || xRange === undefined ? [min, max] : xRange) },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [
          { stroke: "#5b6472", grid: { stroke: "#eceff3" }, ticks: { stroke: "#d5dae1" } },
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
          {},
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
    setData(columns, range) {
      xRange = range;
      const points = columns.slice(1).reduce((n, ys) => n + ys.filter((v) => v !== null).length, 0);
      el.dataset.points = String(points);
      if (chart === undefined) create(columns);
      else chart.setData(/** @type {uPlot.AlignedData} */ (columns), !zoomed);
    },
    destroy() {
      observer?.disconnect();
      chart?.destroy();
    },
  };
}
