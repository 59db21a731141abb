import { MalformedHistoryError } from "../experiment/errors.js";
import type { Checker, CheckResult } from "./types.js";

export interface AdmittedRateConfig {
  /** Requests the limiter admits per window. */
  limit: number;
  windowMillis: number;
  /** Allowed relative deviation of the admitted count from what the limit allows. Default 0.05. */
  tolerance?: number;
  /** The status that means "rejected by the limiter". Default 429. */
  rejectedStatus?: number;
  /** Least share of the excess (offered minus admitted) that must be answered `rejectedStatus`. Default 1. */
  minRejectedFraction?: number;
  /** When set, the most admitted in any window-long span may not exceed `limit × maxBurstRatio`. */
  maxBurstRatio?: number;
}

interface WindowCount {
  startMillis: number;
  offered: number;
  admitted: number;
  rejected: number;
}

/** The most timestamps in any half-open span [t, t + spanMillis), over ascending `times`. */
export function maxInSpan(times: readonly number[], spanMillis: number): number {
  let best = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while ((times[last] as number) - (times[first] as number) >= spanMillis) first++;
    best = Math.max(best, last - first + 1);
  }
  return best;
}

/**
 * The limiter admits what its limit allows, per window aligned to multiples of the window since the epoch
 * (as fixed-window limiters key their counters). Only windows wholly inside the flood are judged, since
 * partial ones at its edges offer less. A request counts as admitted when it got any answer other than the
 * rejection status; unanswered requests count as neither. The boundary burst is the most admitted in any
 * window-long span, sliding: a fixed window can admit up to twice its limit across a window edge.
 */
export const admittedRate: Checker<AdmittedRateConfig> = {
  name: "admitted_rate",
  description: "The rate a limiter admits stays at its configured limit, and the excess is rejected.",
  configSchema: {
    type: "object",
    required: ["limit", "windowMillis"],
    properties: {
      limit: { type: "number", exclusiveMinimum: 0 },
      windowMillis: { type: "number", exclusiveMinimum: 0 },
      tolerance: { type: "number", minimum: 0 },
      rejectedStatus: { type: "integer", minimum: 100, maximum: 599 },
      minRejectedFraction: { type: "number", minimum: 0, maximum: 1 },
      maxBurstRatio: { type: "number", exclusiveMinimum: 0 },
    },
    additionalProperties: false,
  },
  check(history, config): CheckResult {
    const { limit, windowMillis } = config;
    if (!(limit > 0) || !(windowMillis > 0)) {
      throw new MalformedHistoryError(`limit ${limit} per ${windowMillis} ms is not a positive limit`);
    }
    const tolerance = config.tolerance ?? 0.05;
    const rejectedStatus = config.rejectedStatus ?? 429;
    const minRejectedFraction = config.minRejectedFraction ?? 1;
    const requests = [...(history.requests ?? [])].sort((a, b) => a.timeMillis - b.timeMillis);
    if (requests.length === 0) return { valid: "unknown", reason: "no request was recorded" };

    const firstMillis = (requests[0] as (typeof requests)[number]).timeMillis;
    const lastMillis = (requests[requests.length - 1] as (typeof requests)[number]).timeMillis;
    const firstFull = Math.ceil(firstMillis / windowMillis);
    const endFull = Math.floor(lastMillis / windowMillis);
    const windows: WindowCount[] = [];
    for (let index = firstFull; index < endFull; index++) {
      windows.push({ startMillis: index * windowMillis, offered: 0, admitted: 0, rejected: 0 });
    }
    const admittedTimes: number[] = [];
    let unanswered = 0;
    for (const request of requests) {
      const admitted = request.status !== null && request.status !== rejectedStatus;
      if (admitted) admittedTimes.push(request.timeMillis);
      if (request.status === null) unanswered++;
      const window = windows[Math.floor(request.timeMillis / windowMillis) - firstFull];
      if (window === undefined) continue;
      window.offered++;
      if (admitted) window.admitted++;
      if (request.status === rejectedStatus) window.rejected++;
    }

    const maxAdmittedInSpan = maxInSpan(admittedTimes, windowMillis);
    const burstRatio = maxAdmittedInSpan / limit;
    const base = {
      limit,
      windowMillis,
      tolerance,
      maxAdmittedInSpan,
      burstRatio,
      unansweredCount: unanswered,
    };
    if (windows.length === 0) {
      return {
        valid: "unknown",
        reason: `the flood covered no whole ${windowMillis} ms window`,
        ...base,
        windows,
      };
    }
    const sum = (pick: (w: WindowCount) => number) => windows.reduce((total, w) => total + pick(w), 0);
    const offered = sum((w) => w.offered);
    const admitted = sum((w) => w.admitted);
    const rejected = sum((w) => w.rejected);
    const expected = sum((w) => Math.min(limit, w.offered));
    const relativeError = expected === 0 ? 0 : (admitted - expected) / expected;
    const excess = offered - admitted;
    const excessRejectedFraction = excess === 0 ? null : rejected / excess;
    const seconds = (windows.length * windowMillis) / 1000;
    const details = {
      ...base,
      windowCount: windows.length,
      offeredCount: offered,
      admittedCount: admitted,
      rejectedCount: rejected,
      expectedAdmittedCount: expected,
      relativeError,
      admittedPerSecond: admitted / seconds,
      limitPerSecond: (limit * 1000) / windowMillis,
      excessRejectedFraction,
      windows,
    };

    const problems: string[] = [];
    if (Math.abs(relativeError) > tolerance) {
      problems.push(
        `admitted ${admitted} where the limit allows ${expected} (${pct(relativeError)}, ±${pct(tolerance)})`,
      );
    }
    if (excessRejectedFraction !== null && excessRejectedFraction < minRejectedFraction) {
      problems.push(`${pct(excessRejectedFraction)} of the excess answered ${rejectedStatus}`);
    }
    if (config.maxBurstRatio !== undefined && burstRatio > config.maxBurstRatio) {
      problems.push(
        `${maxAdmittedInSpan} admitted within ${windowMillis} ms (${burstRatio.toFixed(2)}× the limit)`,
      );
    }
    return problems.length === 0
      ? { valid: true, ...details }
      : { valid: false, reason: problems.join("; "), ...details };
  },
};

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
