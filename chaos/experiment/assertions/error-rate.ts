import { type SpanFilterParams, spanFilter, spanFilterProperties } from "./filters.js";
import type { AssertionKind } from "./types.js";

/** Share of a service's requests (entry spans) that ended in error, in [0, 1]. */
export const errorRate: AssertionKind<SpanFilterParams> = {
  name: "error_rate",
  description: "Fraction of a service's requests that failed in the window.",
  properties: spanFilterProperties,
  required: ["service"],
  bar: true,
  windowed: true,
  unit: "ratio",
  async evaluate(params, context) {
    const { requests, errors } = await context.telemetry.requestCounts(spanFilter(params), context.window);
    return requests === 0
      ? {
          measured: null,
          reason: `no request to ${params.service} in the window`,
          details: { requests, errors },
        }
      : { measured: errors / requests, details: { requests, errors } };
  },
};
