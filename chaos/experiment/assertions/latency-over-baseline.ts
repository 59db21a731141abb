import { WINDOW_SCHEMA } from "../schema.js";
import type { WindowSpec } from "../types.js";
import { resolveWindow } from "../windows.js";
import { type SpanFilterParams, spanFilter, spanFilterProperties } from "./filters.js";
import type { AssertionKind } from "./types.js";

interface LatencyOverBaselineParams extends SpanFilterParams {
  quantile: number;
  baseline: WindowSpec;
}

/**
 * How far a quantile of a service's latency in the window stands above the same quantile in a baseline
 * window, in milliseconds: "p99 back to its baseline". A difference rather than an absolute bar, because a
 * busy machine slows the whole run alike and moves the baseline with it.
 */
export const latencyOverBaseline: AssertionKind<LatencyOverBaselineParams> = {
  name: "latency_over_baseline",
  description:
    "A quantile of a service's request latency in the window, minus the same quantile in the baseline window.",
  properties: {
    ...spanFilterProperties,
    quantile: { type: "number", exclusiveMinimum: 0, maximum: 1 },
    baseline: WINDOW_SCHEMA,
  },
  required: ["service", "quantile", "baseline"],
  windowFields: ["baseline"],
  bar: true,
  windowed: true,
  unit: "ms",
  async evaluate(params, context) {
    const baselineWindow = resolveWindow(params.baseline, context.times, context.times.methodEndMillis);
    if (baselineWindow === null) return { measured: null, reason: "the baseline window did not happen" };
    const filter = spanFilter(params);
    const [now, baseline] = await Promise.all([
      context.telemetry.latencyQuantileMillis(filter, params.quantile, context.window),
      context.telemetry.latencyQuantileMillis(filter, params.quantile, baselineWindow),
    ]);
    if (now === null) return { measured: null, reason: `no request to ${params.service} in the window` };
    if (baseline === null) {
      return { measured: null, reason: `no request to ${params.service} in the baseline window` };
    }
    return {
      measured: now - baseline,
      reason: `${now.toFixed(1)} ms against ${baseline.toFixed(1)} ms in the baseline`,
      details: { millis: now, baselineMillis: baseline },
    };
  },
};
