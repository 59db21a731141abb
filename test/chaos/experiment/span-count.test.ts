import { describe, expect, it } from "vitest";
import { spanCount } from "../../../chaos/experiment/assertions/span-count.js";
import type { EvaluationContext } from "../../../chaos/experiment/assertions/types.js";
import { InMemoryTelemetry, type RecordedSpan } from "../../../chaos/experiment/telemetry.js";

const read = (instance: string, startMillis: number, rows = 1): RecordedSpan => ({
  service: "catalog",
  operation: "SELECT products",
  kind: "client",
  instance,
  startMillis,
  durationMillis: 1,
  error: false,
  attributes: { "db.response.returned_rows": rows },
});
const request = (instance: string, startMillis: number): RecordedSpan => ({
  service: "catalog",
  operation: "GetProduct",
  instance,
  startMillis,
  durationMillis: 2,
  error: false,
});

function context(spans: RecordedSpan[], startMillis = 0, endMillis = 10_000): EvaluationContext {
  return {
    window: { startMillis, endMillis },
    times: { methodStartMillis: startMillis, methodEndMillis: endMillis, faults: {} },
    telemetry: new InMemoryTelemetry(spans),
    http: { request: async () => ({ status: null }) },
    history: async () => ({}),
    signal: new AbortController().signal,
  };
}

const spans = [
  request("catalog-1", 100),
  request("catalog-2", 100),
  read("catalog-1", 100),
  read("catalog-1", 2000, 0),
  // A spike on catalog-2 that straddles a whole second: a bucket aligned to seconds would split it 3 + 3.
  ...[3700, 3800, 3900, 4000, 4100, 4200].map((at) => read("catalog-2", at)),
];

describe("the span_count assertion kind", () => {
  it("counts the matching spans in the window, by name, kind and attribute", async () => {
    expect(
      (await spanCount.evaluate({ service: "catalog", span: "SELECT products" }, context(spans))).measured,
    ).toBe(8);
    const empty = await spanCount.evaluate(
      { service: "catalog", spanKind: "client", attributes: { "db.response.returned_rows": 0 } },
      context(spans),
    );
    expect(empty.measured).toBe(1);
    expect(
      (await spanCount.evaluate({ service: "catalog", spanKind: "server" }, context(spans))).measured,
    ).toBe(2);
  });

  it("measures the busiest instance, naming each instance's count, zero included", async () => {
    const result = await spanCount.evaluate(
      { service: "catalog", span: "SELECT products", per: "instance" },
      context(spans, 0, 3000),
    );
    expect(result.measured).toBe(2);
    expect(result.details).toMatchObject({ total: 2, perInstance: { "catalog-1": 2, "catalog-2": 0 } });
  });

  it("finds the peak in any stretch of the given length, wherever it falls", async () => {
    const result = await spanCount.evaluate(
      { service: "catalog", span: "SELECT products", peakWithin: "1s" },
      context(spans),
    );
    expect(result.measured).toBe(6);
    expect(result.details).toMatchObject({ total: 8, peakStartMillis: 3700 });
    const perInstance = await spanCount.evaluate(
      { service: "catalog", span: "SELECT products", peakWithin: "200ms", per: "instance" },
      context(spans),
    );
    expect(perInstance.measured).toBe(2);
  });

  it("gives no data, not zero, when the service recorded nothing at all in the window", async () => {
    const result = await spanCount.evaluate({ service: "catalog" }, context(spans, 5000, 6000));
    expect(result.measured).toBeNull();
    expect(result.reason).toMatch(/no span of catalog in the window/);
    const none = await spanCount.evaluate(
      { service: "catalog", span: "SELECT products" },
      context([request("catalog-1", 5500)], 5000, 6000),
    );
    expect(none.measured).toBe(0);
  });
});
