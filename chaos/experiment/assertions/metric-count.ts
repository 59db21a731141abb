import { type MetricParams, metricProperties } from "./filters.js";
import type { AssertionKind } from "./types.js";

/** How much a counter grew in the window, summed over the series that match. */
export const metricCount: AssertionKind<MetricParams> = {
  name: "metric_count",
  description: "Increase of a counter metric in the window.",
  properties: metricProperties,
  required: ["metric"],
  bar: true,
  windowed: true,
  unit: "count",
  async evaluate(params, context) {
    const increase = await context.telemetry.metricIncrease(
      { name: params.metric, ...(params.attributes === undefined ? {} : { attributes: params.attributes }) },
      context.window,
    );
    return increase === null
      ? { measured: null, reason: `no point of ${params.metric} in the window` }
      : { measured: increase };
  },
};
