import { describe, expect, it } from "vitest";
import { latencyOverBaseline } from "../../../chaos/experiment/assertions/latency-over-baseline.js";
import type { EvaluationContext } from "../../../chaos/experiment/assertions/types.js";
import { InMemoryTelemetry, type RecordedSpan } from "../../../chaos/experiment/telemetry.js";

const span = (startMillis: number, durationMillis: number): RecordedSpan => ({
  service: "gateway",
  startMillis,
  durationMillis,
  error: false,
});

// 0–3 s before the kill, about 20 ms; the first 5 s of the kill slow; then back near the baseline.
const spans = [
  ...Array.from({ length: 30 }, (_, i) => span(i * 100, 20 + (i % 3))),
  ...Array.from({ length: 50 }, (_, i) => span(3000 + i * 100, 400)),
  ...Array.from({ length: 30 }, (_, i) => span(8000 + i * 100, 30 + (i % 3))),
];

function context(window: { startMillis: number; endMillis: number }, killed = true): EvaluationContext {
  return {
    window,
    times: {
      methodStartMillis: 0,
      methodEndMillis: 12_000,
      faults: { kill: { injectedAtMillis: killed ? 3000 : null, healedAtMillis: killed ? 11_000 : null } },
    },
    telemetry: new InMemoryTelemetry(spans),
    http: { request: async () => ({ status: null }) },
    history: async () => ({}),
    signal: new AbortController().signal,
  };
}

const params = {
  service: "gateway",
  quantile: 0.99,
  baseline: { anchor: "before" as const, fault: "kill", lengthMillis: null },
};

describe("the latency_over_baseline assertion kind", () => {
  it("measures how far the window's quantile stands above the baseline window's", async () => {
    const recovered = await latencyOverBaseline.evaluate(
      params,
      context({ startMillis: 8000, endMillis: 11_000 }),
    );
    expect(recovered.measured).toBe(10);
    expect(recovered.details).toEqual({ millis: 32, baselineMillis: 22 });
    const slow = await latencyOverBaseline.evaluate(params, context({ startMillis: 3000, endMillis: 8000 }));
    expect(slow.measured).toBe(378);
  });

  it("has no value when the baseline window never happened or held no request", async () => {
    const never = await latencyOverBaseline.evaluate(
      params,
      context({ startMillis: 8000, endMillis: 11_000 }, false),
    );
    expect(never).toMatchObject({ measured: null, reason: "the baseline window did not happen" });
    const empty = await latencyOverBaseline.evaluate(
      { ...params, service: "catalog" },
      context({ startMillis: 8000, endMillis: 11_000 }),
    );
    expect(empty).toMatchObject({ measured: null, reason: "no request to catalog in the window" });
  });
});
