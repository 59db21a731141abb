/**
 * A measured value beside its bar: as text in the measurement's unit, and as positions on a small scale that
 * shows the allowed range and where the value fell.
 */
import { formatMs, formatNumber, formatPercent } from "./format.js";

export interface Bar {
  min?: number;
  max?: number;
}

/** Units whose numbers stand alone ("3 requests" reads as "3"). */
const BARE = new Set(["", "count", "status"]);

/** A value in a measurement's unit: ratios as percentages, milliseconds as durations, others with their unit. */
export function formatQuantity(value: number, unit: string): string {
  if (unit === "ratio") return formatPercent(value);
  if (unit === "ms") return formatMs(value);
  if (unit === "s") return formatMs(value * 1000);
  return BARE.has(unit) ? formatNumber(value) : `${formatNumber(value)} ${unit}`;
}

/** The bar as the experiment file states it, in the same format as the measured value: "≤ 500 ms", "200..299". */
export function formatBar(bar: Bar | null, unit: string): string {
  if (bar === null || (bar.min === undefined && bar.max === undefined)) return "–";
  if (bar.min !== undefined && bar.max !== undefined) {
    if (bar.min === bar.max) return `= ${formatQuantity(bar.min, unit)}`;
    return `${formatQuantity(bar.min, unit)} … ${formatQuantity(bar.max, unit)}`;
  }
  if (bar.max !== undefined) return `≤ ${formatQuantity(bar.max, unit)}`;
  return `≥ ${formatQuantity(bar.min as number, unit)}`;
}

/** Positions in percent of a scale's width. */
export interface BarScale {
  /** The allowed range; `open` sides run off the scale's end. */
  allowed: { left: number; width: number; openLeft: boolean; openRight: boolean };
  marker: number;
  /** The scale's ends, in the measurement's unit. */
  from: number;
  to: number;
}

/**
 * A scale from zero (or the lowest negative value) past the highest of the measured value and the bar's bounds,
 * with a margin so that the value never sits on the right edge. Null when there is nothing to draw.
 */
export function barScale(measured: number | null, bar: Bar | null): BarScale | null {
  if (measured === null || !Number.isFinite(measured) || bar === null) return null;
  if (bar.min === undefined && bar.max === undefined) return null;
  const points = [
    measured,
    0,
    ...(bar.min === undefined ? [] : [bar.min]),
    ...(bar.max === undefined ? [] : [bar.max]),
  ];
  const low = Math.min(...points);
  const high = Math.max(...points);
  const span = high - low || 1;
  // Zero is always on the scale, so a scale of non-negative values starts at its left edge.
  const from = low < 0 ? low - span * 0.1 : low;
  const to = high + span * 0.15;
  const at = (value: number) => ((value - from) / (to - from)) * 100;
  const left = bar.min === undefined ? 0 : at(bar.min);
  const right = bar.max === undefined ? 100 : at(bar.max);
  return {
    allowed: { left, width: right - left, openLeft: bar.min === undefined, openRight: bar.max === undefined },
    marker: at(measured),
    from,
    to,
  };
}
