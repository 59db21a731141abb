import { html, type SafeHtml } from "./escape.js";
import type { TimeSeries } from "./evidence.js";

export interface ShadedWindow {
  readonly label: string;
  readonly startMillis: number;
  readonly endMillis: number;
}

const COLORS = ["#2563eb", "#dc2626", "#059669", "#7c3aed", "#d97706"];
const WIDTH = 760;
const HEIGHT = 180;
const PAD = { left: 48, right: 12, top: 10, bottom: 24 };

/**
 * An inline SVG line chart of series sharing one unit over [startMillis, endMillis], with each fault window
 * shaded (`rect.fault-window`, its label as the tooltip) and the time axis in seconds from the start.
 */
export function timeSeriesChart(options: {
  title: string;
  series: readonly TimeSeries[];
  windows: readonly ShadedWindow[];
  startMillis: number;
  endMillis: number;
}): SafeHtml {
  const { startMillis, endMillis } = options;
  const spanMillis = Math.max(1, endMillis - startMillis);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const maxValue = Math.max(1e-9, ...options.series.flatMap((s) => s.points.map((p) => p.value)));
  const x = (timeMillis: number) => PAD.left + ((timeMillis - startMillis) / spanMillis) * plotWidth;
  const y = (value: number) => PAD.top + plotHeight - (value / maxValue) * plotHeight;
  const clampX = (timeMillis: number) => Math.min(WIDTH - PAD.right, Math.max(PAD.left, x(timeMillis)));

  const shaded = options.windows.map((window) => {
    const left = clampX(window.startMillis);
    const width = Math.max(1, clampX(window.endMillis) - left);
    return html`<rect class="fault-window" x="${left.toFixed(1)}" y="${PAD.top}" width="${width.toFixed(1)}" height="${plotHeight}"><title>${window.label}</title></rect>`;
  });
  const lines = options.series.map((series, index) => {
    const points = series.points
      .map((p) => `${x(p.timeMillis).toFixed(1)},${y(p.value).toFixed(1)}`)
      .join(" ");
    return html`<polyline class="series" fill="none" stroke="${COLORS[index % COLORS.length]}" stroke-width="1.5" points="${points}"><title>${series.name}</title></polyline>`;
  });
  const tickSeconds = niceStep(spanMillis / 1000 / 8);
  const ticks = [];
  for (let s = 0; s * 1000 <= spanMillis; s += tickSeconds) {
    ticks.push(
      html`<text x="${x(startMillis + s * 1000).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="middle">${s}s</text>`,
    );
  }
  const legend = options.series.map(
    (series, index) =>
      html`<span class="legend"><i style="background:${COLORS[index % COLORS.length]}"></i>${series.name} (${series.unit})</span>`,
  );
  return html`<figure class="chart"><figcaption>${options.title} ${legend}</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${options.title}">
<rect class="plot" x="${PAD.left}" y="${PAD.top}" width="${plotWidth}" height="${plotHeight}"/>
${shaded}
${lines}
${
  options.series.length === 0
    ? ""
    : html`<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end">${formatNumber(maxValue)}</text>
<text x="${PAD.left - 4}" y="${PAD.top + plotHeight}" text-anchor="end">0</text>`
}
${ticks}
</svg></figure>`;
}

function niceStep(rough: number): number {
  for (const step of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]) if (step >= rough) return step;
  return 7200;
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : String(Number(value.toPrecision(3)));
}
