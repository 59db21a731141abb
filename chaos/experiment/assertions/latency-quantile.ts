import { type SpanFilterParams, spanFilter, spanFilterProperties } from "./filters.js";
import type { AssertionKind } from "./types.js";

interface LatencyQuantileParams extends SpanFilterParams {
  quantile: number;
}

/** A quantile of a service's request durations (entry spans), in milliseconds. */
export const latencyQuantile: AssertionKind<LatencyQuantileParams> = {
  name: "latency_quantile",
  description: "A quantile (e.g. 0.99) of a service's request latency in the window.",
  properties: { ...spanFilterProperties, quantile: { type: "number", exclusiveMinimum: 0, maximum: 1 } },
  required: ["service", "quantile"],
  bar: true,
  windowed: true,
  unit: "ms",
  async evaluate(params, context) {
    const value = await context.telemetry.latencyQuantileMillis(
      spanFilter(params),
      params.quantile,
      context.window,
    );
    return value === null
      ? { measured: null, reason: `no request to ${params.service} in the window` }
      : { measured: value };
  },
};
