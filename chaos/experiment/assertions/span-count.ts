import { parseDuration } from "../../../cli/units.js";
import { DURATION_PATTERN } from "../schema.js";
import { SPAN_KINDS, type SpanKindName, type SpanSelector } from "../telemetry.js";
import { metricProperties } from "./filters.js";
import type { AssertionKind } from "./types.js";

interface SpanCountParams {
  service: string;
  span?: string;
  spanKind?: SpanKindName;
  attributes?: Record<string, string | number | boolean>;
  per?: "instance";
  peakWithin?: string;
}

/**
 * Counts a service's spans that match (e.g. its database reads: `span: SELECT products`), in the whole
 * window, or at the peak: the most that started within any `peakWithin`-long stretch of it (a sliding
 * window, so a spike is never split between two buckets). With `per: instance` it counts each instance
 * apart and measures the busiest. A service with no span at all in the window gives no data (unknown), so
 * a silent exporter cannot pass for zero.
 */
export const spanCount: AssertionKind<SpanCountParams> = {
  name: "span_count",
  description: "How many of a service's spans match in the window: in total, per instance, or at the peak.",
  properties: {
    service: { type: "string", minLength: 1 },
    span: { type: "string", minLength: 1 },
    spanKind: { enum: SPAN_KINDS },
    attributes: metricProperties.attributes,
    per: { enum: ["instance"] },
    peakWithin: { type: "string", pattern: DURATION_PATTERN },
  },
  required: ["service"],
  bar: true,
  windowed: true,
  unit: "spans",
  async evaluate(params, context) {
    const selector: SpanSelector = {
      service: params.service,
      ...(params.span === undefined ? {} : { name: params.span }),
      ...(params.spanKind === undefined ? {} : { kind: params.spanKind }),
      ...(params.attributes === undefined ? {} : { attributes: params.attributes }),
    };
    const { instances, spans } = await context.telemetry.spanStarts(selector, context.window);
    if (instances.length === 0)
      return { measured: null, reason: `no span of ${params.service} in the window` };
    const groups: [string, number[]][] =
      params.per === "instance"
        ? instances.map((instance) => [
            instance,
            spans.filter((span) => span.instance === instance).map((span) => span.startMillis),
          ])
        : [["all", spans.map((span) => span.startMillis)]];
    const lengthMillis = params.peakWithin === undefined ? null : parseDuration(params.peakWithin);
    const counts = groups.map(([group, starts]) => ({
      group,
      ...(lengthMillis === null ? { count: starts.length, atMillis: null } : peak(starts, lengthMillis)),
    }));
    const busiest = counts.reduce((a, b) => (b.count > a.count ? b : a));
    return {
      measured: busiest.count,
      details: {
        total: spans.length,
        ...(params.per === "instance"
          ? { perInstance: Object.fromEntries(counts.map((c) => [c.group, c.count])) }
          : {}),
        ...(busiest.atMillis === null ? {} : { peakStartMillis: busiest.atMillis }),
      },
    };
  },
};

/** The most starts within any `lengthMillis`-long stretch, and where that stretch begins. */
function peak(starts: number[], lengthMillis: number): { count: number; atMillis: number | null } {
  const sorted = [...starts].sort((a, b) => a - b);
  let best = { count: 0, atMillis: null as number | null };
  let end = 0;
  for (let begin = 0; begin < sorted.length; begin++) {
    const from = sorted[begin] as number;
    while (end < sorted.length && (sorted[end] as number) < from + lengthMillis) end++;
    if (end - begin > best.count) best = { count: end - begin, atMillis: from };
  }
  return best;
}
