import type { RequestOutcome } from "../checkers/types.js";
import { nearestRank } from "../experiment/telemetry.js";

export interface TimeSeries {
  readonly name: string;
  readonly unit: string;
  readonly points: readonly { readonly timeMillis: number; readonly value: number }[];
}

/** What the HTML report draws for one run beside its record: time series and requests that failed. */
export interface RunEvidence {
  readonly series: readonly TimeSeries[];
  readonly failingRequests: readonly RequestOutcome[];
}

/** A failed request: no answer, or a server error. */
export function failed(request: RequestOutcome): boolean {
  return request.status === null || request.status >= 500;
}

/**
 * Throughput, errors and p99 latency per step from the flood's own outcomes (ground truth, no telemetry
 * lag), and up to `maxFailing` failed requests that carry a trace id.
 */
export function evidenceFromRequests(
  requests: readonly RequestOutcome[],
  stepMillis = 1000,
  maxFailing = 50,
): RunEvidence {
  const steps = new Map<number, { ok: number; failed: number; latencies: number[] }>();
  for (const request of requests) {
    const start = Math.floor(request.timeMillis / stepMillis) * stepMillis;
    let step = steps.get(start);
    if (step === undefined) {
      step = { ok: 0, failed: 0, latencies: [] };
      steps.set(start, step);
    }
    if (failed(request)) step.failed++;
    else step.ok++;
    if (request.latencyMillis !== undefined) step.latencies.push(request.latencyMillis);
  }
  const ordered = [...steps].sort(([a], [b]) => a - b);
  const perSecond = 1000 / stepMillis;
  const series = (
    name: string,
    unit: string,
    value: (step: (typeof ordered)[number][1]) => number | null,
  ) => ({
    name,
    unit,
    points: ordered.flatMap(([timeMillis, step]) => {
      const v = value(step);
      return v === null ? [] : [{ timeMillis, value: v }];
    }),
  });
  return {
    series: [
      series("ok", "req/s", (step) => step.ok * perSecond),
      series("failed", "req/s", (step) => step.failed * perSecond),
      series("p99 latency", "ms", (step) =>
        nearestRank(
          step.latencies.sort((a, b) => a - b),
          0.99,
        ),
      ),
    ],
    failingRequests: requests
      .filter((request) => failed(request) && request.traceId !== undefined)
      .slice(0, maxFailing),
  };
}
