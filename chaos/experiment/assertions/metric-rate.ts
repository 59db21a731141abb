import { type MetricParams, metricProperties } from "./filters.js";
import type { AssertionKind } from "./types.js";

/** A counter's increase per second over the window. */
export const metricRate: AssertionKind<MetricParams> = {
  name: "metric_rate",
  description: "Per-second rate of a counter metric in the window.",
  properties: metricProperties,
  required: ["metric"],
  bar: true,
  windowed: true,
  unit: "1/s",
  async evaluate(params, context) {
    const seconds = (context.window.endMillis - context.window.startMillis) / 1000;
    const increase = await context.telemetry.metricIncrease(
      { name: params.metric, ...(params.attributes === undefined ? {} : { attributes: params.attributes }) },
      context.window,
    );
    if (increase === null || seconds <= 0)
      return { measured: null, reason: `no point of ${params.metric} in the window` };
    return { measured: increase / seconds, details: { increase, seconds } };
  },
};
