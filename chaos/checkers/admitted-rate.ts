import { MalformedHistoryError } from "../experiment/errors.js";
import type { Checker, CheckResult, RequestOutcome } from "./types.js";

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
  /**
   * `both` (default): the admitted count may deviate from what the limit allows by `tolerance` either way.
   * `upper`: only admitting more fails, for loads under which an algorithm rightly admits less than the
   * aligned windows allow (a sliding window or a bucket under pulses).
   */
  bound?: "both" | "upper";
  /**
   * With `bound: both`, how far below what the limit allows the admitted count may fall; default `tolerance`.
   * A limiter decides by when a request reaches it, the checker by when it was sent: on a loaded machine the
   * two drift apart at window edges, which costs admissions but never adds any.
   */
  lowerTolerance?: number;
  /**
   * Whole windows at the start of the flood in which admitting less is not judged (admitting more always is).
   * Default 0. At a flood's start the gateways warm up, requests reach the limiter late, and a limiter whose
   * memory reaches back a window (a sliding log, a bucket) carries those late arrivals into later windows.
   */
  settleWindows?: number;
  /** When set, the most admitted in any window-long span may not exceed `limit × maxBurstRatio`. */
  maxBurstRatio?: number;
  /** When set, the most admitted in any window-long span must reach `limit × minBurstRatio` (a burst is seen). */
  minBurstRatio?: number;
  /**
   * Every rejection must carry a `Retry-After` of delta-seconds or an HTTP-date, pointing no further than
   * one window ahead: within a window some quota always comes back. Default false.
   */
  requireRetryAfter?: boolean;
  /**
   * When the flood's 99th-percentile lag behind its schedule exceeds this, the load was not offered as
   * planned and nothing is judged (unknown). Default a tenth of the window.
   */
  maxSendLagMillis?: number;
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
      bound: { enum: ["both", "upper"] },
      lowerTolerance: { type: "number", minimum: 0 },
      settleWindows: { type: "integer", minimum: 0 },
      maxBurstRatio: { type: "number", exclusiveMinimum: 0 },
      minBurstRatio: { type: "number", minimum: 0 },
      requireRetryAfter: { type: "boolean" },
      maxSendLagMillis: { type: "number", minimum: 0 },
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
    // The limiter decides when a request arrives: judge by when it was sent, which a busy load generator
    // may make later than its schedule.
    const requests = [...(history.requests ?? [])].sort((a, b) => sentAt(a) - sentAt(b));
    if (requests.length === 0) return { valid: "unknown", reason: "no request was recorded" };

    const firstMillis = sentAt(requests[0] as RequestOutcome);
    const lastMillis = sentAt(requests[requests.length - 1] as RequestOutcome);
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
      if (admitted) admittedTimes.push(sentAt(request));
      if (request.status === null) unanswered++;
      const window = windows[Math.floor(sentAt(request) / windowMillis) - firstFull];
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
      sendLagMillis: sendLag(requests),
    };
    const maxSendLagMillis = config.maxSendLagMillis ?? windowMillis / 10;
    if (base.sendLagMillis !== null && base.sendLagMillis.p99 > maxSendLagMillis) {
      return {
        valid: "unknown",
        reason: `the flood fell ${Math.round(base.sendLagMillis.p99)} ms behind its schedule (p99; at most ${maxSendLagMillis} ms): the load was not offered as planned, so the limiter cannot be judged`,
        ...base,
        windows,
      };
    }
    if (windows.length === 0) {
      return {
        valid: "unknown",
        reason: `the flood covered no whole ${windowMillis} ms window`,
        ...base,
        windows,
      };
    }
    const offered = windows.reduce((total, w) => total + w.offered, 0);
    const rejected = windows.reduce((total, w) => total + w.rejected, 0);
    const { admitted, expected, relativeError } = againstLimit(windows, limit);
    const settled = windows.slice(config.settleWindows ?? 0);
    const {
      admitted: settledAdmitted,
      expected: settledExpected,
      relativeError: settledRelativeError,
    } = againstLimit(settled, limit);
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
      settledRelativeError,
      admittedPerSecond: admitted / seconds,
      limitPerSecond: (limit * 1000) / windowMillis,
      excessRejectedFraction,
      windows,
    };

    const problems: string[] = [];
    const bound = config.bound ?? "both";
    const lowerTolerance = bound === "both" ? (config.lowerTolerance ?? tolerance) : Number.POSITIVE_INFINITY;
    const allowed =
      bound === "upper"
        ? `at most +${pct(tolerance)}`
        : lowerTolerance === tolerance
          ? `±${pct(tolerance)}`
          : `-${pct(lowerTolerance)} to +${pct(tolerance)}`;
    const from = settled.length === windows.length ? "" : ` after the first ${config.settleWindows} windows`;
    const settledProblem = `admitted ${settledAdmitted} where the limit allows ${settledExpected}${from} (${pct(settledRelativeError)}, ${allowed})`;
    if (relativeError > tolerance) {
      problems.push(
        `admitted ${admitted} where the limit allows ${expected} (${pct(relativeError)}, ${allowed})`,
      );
    } else if (settledRelativeError > tolerance || -settledRelativeError > lowerTolerance) {
      // An excess once settled is judged apart too: a shortfall in the spared windows must not offset it.
      problems.push(settledProblem);
    }
    if (excessRejectedFraction !== null && excessRejectedFraction < minRejectedFraction) {
      problems.push(`${pct(excessRejectedFraction)} of the excess answered ${rejectedStatus}`);
    }
    const burst = `${maxAdmittedInSpan} admitted within ${windowMillis} ms (${burstRatio.toFixed(2)}× the limit)`;
    if (config.maxBurstRatio !== undefined && burstRatio > config.maxBurstRatio) {
      problems.push(`${burst}, more than ${config.maxBurstRatio}×`);
    }
    if (config.minBurstRatio !== undefined && burstRatio < config.minBurstRatio) {
      problems.push(`at most ${burst}, less than the ${config.minBurstRatio}× burst expected`);
    }
    const retry =
      config.requireRetryAfter === true ? retryAfterOf(requests, rejectedStatus, windowMillis) : null;
    if (retry !== null && retry.summary.invalidCount > 0) {
      const { invalidCount, rejectedCount, maxAllowedSeconds } = retry.summary;
      problems.push(
        `${invalidCount} of ${rejectedCount} rejections had no valid Retry-After of at most ${maxAllowedSeconds} s`,
      );
    }
    const all = { ...details, ...(retry === null ? {} : { retryAfter: retry.summary }) };
    if (problems.length === 0) return { valid: true, ...all };
    const traceIds = retry?.badTraceIds ?? [];
    return {
      valid: false,
      reason: problems.join("; "),
      ...all,
      ...(traceIds.length > 0 ? { traceIds } : {}),
    };
  },
};

/** What the windows admitted, what the limit allows of what they offered, and the relative difference. */
function againstLimit(
  windows: readonly WindowCount[],
  limit: number,
): { admitted: number; expected: number; relativeError: number } {
  const admitted = windows.reduce((total, w) => total + w.admitted, 0);
  const expected = windows.reduce((total, w) => total + Math.min(limit, w.offered), 0);
  return { admitted, expected, relativeError: expected === 0 ? 0 : (admitted - expected) / expected };
}

function sentAt(request: RequestOutcome): number {
  return request.sentAtMillis ?? request.timeMillis;
}

/** How late the requests left against their schedule: a large lag means the load was not offered as planned. */
function sendLag(requests: readonly RequestOutcome[]): { p99: number; max: number } | null {
  const lags = requests
    .filter((r) => r.sentAtMillis !== undefined)
    .map((r) => (r.sentAtMillis as number) - r.timeMillis)
    .sort((a, b) => a - b);
  if (lags.length === 0) return null;
  return { p99: lags[Math.ceil(lags.length * 0.99) - 1] as number, max: lags[lags.length - 1] as number };
}

interface RetryAfterSummary {
  rejectedCount: number;
  /** Rejections without a Retry-After, with an unreadable one, or with one beyond a window. */
  invalidCount: number;
  maxAllowedSeconds: number;
  minSeconds: number | null;
  maxSeconds: number | null;
}

const EXAMPLES = 5;

/**
 * Seconds a `Retry-After` value asks the client to wait (RFC 9110 section 10.2.3: delta-seconds or an
 * HTTP-date, the latter relative to when the request was sent); null when it is neither.
 */
export function retryAfterSeconds(value: string, sentAtMillis: number): number | null {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // Date.parse reads IMF-fixdate; a bare number was handled above, so a date needs letters. A date has whole
  // seconds, so the wait it means is counted in whole seconds too.
  const date = /[A-Za-z]/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isFinite(date) ? Math.max(0, Math.floor((date - sentAtMillis) / 1000)) : null;
}

function retryAfterOf(
  requests: readonly RequestOutcome[],
  rejectedStatus: number,
  windowMillis: number,
): { summary: RetryAfterSummary; badTraceIds: string[] } {
  const maxAllowedSeconds = Math.ceil(windowMillis / 1000);
  const summary: RetryAfterSummary = {
    rejectedCount: 0,
    invalidCount: 0,
    maxAllowedSeconds,
    minSeconds: null,
    maxSeconds: null,
  };
  const badTraceIds: string[] = [];
  for (const request of requests) {
    if (request.status !== rejectedStatus) continue;
    summary.rejectedCount++;
    const seconds =
      request.retryAfter === undefined || request.retryAfter === null
        ? null
        : retryAfterSeconds(request.retryAfter, sentAt(request));
    if (seconds !== null) {
      summary.minSeconds = Math.min(summary.minSeconds ?? seconds, seconds);
      summary.maxSeconds = Math.max(summary.maxSeconds ?? seconds, seconds);
    }
    if (seconds === null || seconds > maxAllowedSeconds) {
      summary.invalidCount++;
      if (request.traceId !== undefined && badTraceIds.length < EXAMPLES) badTraceIds.push(request.traceId);
    }
  }
  return { summary, badTraceIds };
}

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
