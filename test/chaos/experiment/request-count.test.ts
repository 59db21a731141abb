import { describe, expect, it } from "vitest";
import type { RequestOutcome } from "../../../chaos/checkers/types.js";
import { requestCount } from "../../../chaos/experiment/assertions/request-count.js";
import type { EvaluationContext } from "../../../chaos/experiment/assertions/types.js";
import { InMemoryTelemetry } from "../../../chaos/experiment/telemetry.js";

function context(
  requests: RequestOutcome[] | undefined,
  startMillis = 0,
  endMillis = 1000,
): EvaluationContext {
  return {
    window: { startMillis, endMillis },
    telemetry: new InMemoryTelemetry(),
    http: { request: async () => ({ status: null }) },
    history: async () => (requests === undefined ? {} : { requests }),
    signal: new AbortController().signal,
  };
}

const requests: RequestOutcome[] = [
  { timeMillis: 100, status: 200 },
  { timeMillis: 200, status: 404 },
  { timeMillis: 300, status: 200 },
  { timeMillis: 400, status: null },
  { timeMillis: 1500, status: 200 },
];

describe("the request_count assertion kind", () => {
  it("counts the load's requests sent in the window, or those answered with one status", async () => {
    expect(await requestCount.evaluate({}, context(requests))).toEqual({
      measured: 4,
      details: { sent: 4, unanswered: 1 },
    });
    expect((await requestCount.evaluate({ status: 200 }, context(requests))).measured).toBe(2);
    expect((await requestCount.evaluate({ status: 503 }, context(requests))).measured).toBe(0);
  });

  it("gives no data when the load recorded nothing in the window", async () => {
    expect((await requestCount.evaluate({}, context(requests, 2000, 3000))).measured).toBeNull();
    expect((await requestCount.evaluate({ status: 200 }, context(undefined))).reason).toMatch(/no request/);
  });
});
