import { describe, expect, it } from "vitest";
import type { History } from "../../../chaos/checkers/types.js";
import { responseShare } from "../../../chaos/experiment/assertions/response-share.js";
import type { EvaluationContext } from "../../../chaos/experiment/assertions/types.js";
import { InMemoryTelemetry } from "../../../chaos/experiment/telemetry.js";

const history: History = {
  requests: [
    { timeMillis: 100, status: 200, headers: {} },
    { timeMillis: 200, status: 200, headers: { "shop-degraded": "unavailable" } },
    { timeMillis: 300, status: 200, headers: { "shop-degraded": "circuit_open" } },
    { timeMillis: 400, status: 503, headers: {} },
    { timeMillis: 500, status: null, headers: {} },
  ],
};

function context(startMillis: number, endMillis: number): EvaluationContext {
  return {
    window: { startMillis, endMillis },
    times: { methodStartMillis: 0, methodEndMillis: 1000, faults: {} },
    telemetry: new InMemoryTelemetry(),
    http: { request: async () => ({ status: null }) },
    history: async () => history,
    signal: new AbortController().signal,
  };
}

describe("response_share", () => {
  it("measures the share of the window's requests whose answer has the status and the header", async () => {
    const fallback = { status: 200, header: "Shop-Degraded" };
    expect(await responseShare.evaluate(fallback, context(200, 400))).toMatchObject({ measured: 1 });
    expect(await responseShare.evaluate(fallback, context(0, 1000))).toMatchObject({
      measured: 2 / 5,
      details: { requests: 5, matching: 2, unanswered: 1 },
    });
    expect(await responseShare.evaluate({ header: "shop-degraded" }, context(0, 200))).toMatchObject({
      measured: 0,
    });
    expect(await responseShare.evaluate({ status: 503 }, context(0, 1000))).toMatchObject({
      measured: 1 / 5,
    });
  });

  it("has nothing to measure in a window without requests", async () => {
    expect(await responseShare.evaluate({ status: 200 }, context(600, 700))).toMatchObject({
      measured: null,
    });
  });
});
