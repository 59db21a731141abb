import { InvalidParameterError } from "../errors.js";
import { isMatchableAttributeKey } from "../query/attributes.js";
import type { LogSearch } from "../query/logs.js";
import { SEVERITY_NUMBERS } from "../query/logs.js";
import {
  METRIC_FUNCTIONS,
  type MetricFunctionName,
  type MetricQuery,
  type SeriesPointsQuery,
} from "../query/metrics.js";
import type { RedQuery } from "../query/red.js";
import type { RunSearch } from "../query/runs.js";
import { SPAN_STATUSES, type SpanStatusName, type TraceSearch } from "../query/traces.js";
import { Buckets, defaultStepMs, MAX_BUCKETS, NS_PER_MS, type TimeWindow } from "../query/window.js";

const MAX_LIMIT = 1000;
/** Each distinct number of attribute filters is one more cached statement, so their count is bounded. */
const MAX_MATCHERS = 20;
const DEFAULT_WINDOW_MS = 3_600_000;
/** SQLite integers are 64-bit; a later time could not be bound. */
const MAX_TIME_NS = 2n ** 63n - 1n;
/** A century: far beyond any span, and small enough to stay a 64-bit nanosecond count. */
const MAX_DURATION_MS = 3_155_760_000_000;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-]| )(\d{2}):(\d{2}))$/;

const fail = (name: string, problem: string): never => {
  throw new InvalidParameterError(name, problem);
};

/**
 * Reads one request's query string. Every read marks a name as known, so that `done()` can reject the rest:
 * a misspelt filter answers 400 instead of silently matching everything.
 */
export class QueryParams {
  private readonly known = new Set<string>();
  private readonly knownPrefixes: string[] = [];

  constructor(private readonly search: URLSearchParams) {}

  /** The parameters of a request URL (path and query, as express's `req.originalUrl`). */
  static of(url: string): QueryParams {
    return new QueryParams(new URL(url, "http://localhost").searchParams);
  }

  private single(name: string): string | undefined {
    const values = this.search.getAll(name);
    if (values.length > 1) fail(name, "is given more than once");
    return values[0];
  }

  /** The value, or undefined when absent or empty (as forms send unset fields). */
  string(name: string): string | undefined {
    this.known.add(name);
    const value = this.single(name);
    return value === "" ? undefined : value;
  }

  required(name: string): string {
    return this.string(name) ?? fail(name, "is required");
  }

  integer(name: string, min: number, max: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max)) {
      fail(name, `must be an integer from ${min} to ${max}, got "${text}"`);
    }
    return value;
  }

  number(name: string, min: number, max: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max)) fail(name, `must be a number from ${min} to ${max}, got "${text}"`);
    return value;
  }

  oneOf<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!(choices as readonly string[]).includes(text)) {
      fail(name, `must be one of ${choices.join(", ")}, got "${text}"`);
    }
    return text as T;
  }

  /** `attr.http.method=GET` read with prefix "attr." gives { "http.method": "GET" }. */
  prefixed(prefix: string): Record<string, string> {
    this.knownPrefixes.push(prefix);
    const matchers: Record<string, string> = {};
    for (const name of new Set(this.search.keys())) {
      if (!name.startsWith(prefix)) continue;
      const key = name.slice(prefix.length);
      if (!isMatchableAttributeKey(key)) {
        fail(name, "must name a non-empty key without double quotes or backslashes");
      }
      // Unlike elsewhere an empty value means something here: an attribute that is the empty string.
      matchers[key] = this.single(name) ?? "";
    }
    if (Object.keys(matchers).length > MAX_MATCHERS) {
      fail(`${prefix}*`, `is given more than ${MAX_MATCHERS} times`);
    }
    return matchers;
  }

  /** Rejects the parameters no read asked for. */
  done(): void {
    for (const name of this.search.keys()) {
      if (!this.known.has(name) && !this.knownPrefixes.some((prefix) => name.startsWith(prefix))) {
        fail(name, "is not a parameter of this endpoint");
      }
    }
  }
}

/**
 * A point in time as Unix nanoseconds: epoch milliseconds ("1718000000000"), RFC 3339
 * ("2024-06-10T06:13:20.5Z"), or relative to `nowMs` ("now", "now-15m"; units s, m, h, d).
 */
export function parseTime(name: string, text: string, nowMs: number): bigint {
  let ns: bigint | undefined;
  const relative = /^now(?:-(\d+)([smhd]))?$/.exec(text);
  const rfc3339 = RFC3339.exec(text);
  if (/^\d{1,16}$/.test(text)) {
    ns = BigInt(text) * NS_PER_MS;
  } else if (relative !== null) {
    const [, amount = "0", unit = "s"] = relative;
    ns = (BigInt(nowMs) - BigInt(amount) * BigInt(UNIT_MS[unit as Unit])) * NS_PER_MS;
  } else if (rfc3339 !== null) {
    ns = rfc3339Ns(rfc3339);
  }
  if (ns === undefined) {
    return fail(name, `must be epoch milliseconds, RFC 3339 or now-<n><s|m|h|d>, got "${text}"`);
  }
  if (ns < 0n) fail(name, `is before 1970, got "${text}"`);
  if (ns > MAX_TIME_NS) fail(name, `is after 2262, the end of 64-bit nanosecond time, got "${text}"`);
  return ns;
}

function rfc3339Ns(match: RegExpExecArray): bigint | undefined {
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHour, offsetMinute] =
    match.map((part) => part ?? "");
  const ms = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  );
  const date = new Date(ms);
  // Date.UTC rolls 2024-02-30 over into March; a real date survives the round trip.
  if (
    date.getUTCDate() !== Number(day) ||
    date.getUTCMonth() !== Number(month) - 1 ||
    date.getUTCHours() !== Number(hour) ||
    date.getUTCMinutes() !== Number(minute) ||
    date.getUTCSeconds() !== Number(second)
  ) {
    return undefined;
  }
  // An unencoded "+" in a query string arrives as a space, so " 02:00" is read as "+02:00".
  const offsetMinutes =
    zulu !== "" ? 0 : (sign === "-" ? -1 : 1) * (Number(offsetHour) * 60 + Number(offsetMinute));
  const fractionNs = BigInt((fraction ?? "").slice(0, 9).padEnd(9, "0"));
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * NS_PER_MS + fractionNs;
}

/** A duration in whole milliseconds: "250" (milliseconds), "500ms", "10s", "1.5m", "1h", "1d". */
export function parseDurationMs(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text);
  const ms = match === null ? Number.NaN : Number(match[1]) * UNIT_MS[(match[2] ?? "ms") as Unit];
  if (!Number.isInteger(ms) || ms < 1) {
    fail(
      name,
      `must be a duration of at least 1 ms in whole milliseconds like 10s, 1m or 500, got "${text}"`,
    );
  }
  return ms;
}

export function parseTraceId(name: string, text: string): string {
  if (!/^[0-9a-fA-F]{32}$/.test(text)) fail(name, `must be 32 hexadecimal digits, got "${text}"`);
  return text.toLowerCase();
}

/** `start` and `end`; end defaults to now and start to an hour before end. */
export function parseWindow(params: QueryParams, nowMs: number): TimeWindow {
  const start = params.string("start");
  const end = params.string("end");
  const endNs = end === undefined ? BigInt(nowMs) * NS_PER_MS : parseTime("end", end, nowMs);
  const startNs =
    start === undefined ? endNs - BigInt(DEFAULT_WINDOW_MS) * NS_PER_MS : parseTime("start", start, nowMs);
  if (startNs >= endNs) fail("start", "must be before end");
  return { startNs, endNs };
}

/** `step`; by default about 60 buckets over the window. */
export function parseStep(params: QueryParams, window: TimeWindow): number {
  const text = params.string("step");
  if (text === undefined) return defaultStepMs(window);
  const stepMs = parseDurationMs("step", text);
  const count = new Buckets(window, stepMs).count;
  if (count > MAX_BUCKETS) {
    fail("step", `gives ${count} buckets over the window; at most ${MAX_BUCKETS} are allowed`);
  }
  return stepMs;
}

function limit(params: QueryParams, fallback: number): number {
  return params.integer("limit", 1, MAX_LIMIT) ?? fallback;
}

function severity(params: QueryParams): number | undefined {
  const text = params.string("severity");
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 24) return Number(text);
  const named = SEVERITY_NUMBERS[text.toLowerCase() as keyof typeof SEVERITY_NUMBERS];
  return (
    named ??
    fail("severity", `must be 1 to 24 or one of ${Object.keys(SEVERITY_NUMBERS).join(", ")}, got "${text}"`)
  );
}

function durationNs(params: QueryParams, name: string): bigint | undefined {
  const ms = params.number(name, 0, MAX_DURATION_MS);
  return ms === undefined ? undefined : BigInt(Math.round(ms * 1e6));
}

/** For the endpoints that take nothing but a window. */
export function windowParams(url: string, nowMs: number): TimeWindow {
  const params = QueryParams.of(url);
  const window = parseWindow(params, nowMs);
  params.done();
  return window;
}

export function traceSearchParams(url: string, nowMs: number): TraceSearch {
  const params = QueryParams.of(url);
  const search: TraceSearch = {
    window: parseWindow(params, nowMs),
    service: params.string("service"),
    operation: params.string("operation"),
    minDurationNs: durationNs(params, "minDurationMs"),
    maxDurationNs: durationNs(params, "maxDurationMs"),
    status: params.oneOf("status", Object.keys(SPAN_STATUSES) as SpanStatusName[]),
    attributes: params.prefixed("attr."),
    limit: limit(params, 20),
  };
  const { minDurationNs: min, maxDurationNs: max } = search;
  if (min !== undefined && max !== undefined && max < min) {
    fail("maxDurationMs", "must not be below minDurationMs");
  }
  params.done();
  return search;
}

export function redParams(url: string, nowMs: number): RedQuery {
  const params = QueryParams.of(url);
  const service = params.required("service");
  const window = parseWindow(params, nowMs);
  const query = { service, window, stepMs: parseStep(params, window) };
  params.done();
  return query;
}

export function metricsListParams(url: string): { name?: string; service?: string } {
  const params = QueryParams.of(url);
  const filter = { name: params.string("name"), service: params.string("service") };
  params.done();
  return filter;
}

export function metricQueryParams(url: string, nowMs: number): MetricQuery {
  const params = QueryParams.of(url);
  const name = params.required("name");
  const window = parseWindow(params, nowMs);
  const by = params.string("by");
  const query: MetricQuery = {
    name,
    service: params.string("service"),
    labels: params.prefixed("labels."),
    window,
    stepMs: parseStep(params, window),
    fn: params.oneOf<MetricFunctionName>("fn", METRIC_FUNCTIONS) ?? "raw",
    q: params.number("q", 0, 1),
    by: by?.split(",").map((label) => label.trim() || fail("by", `has an empty label name in "${by}"`)),
  };
  params.done();
  return query;
}

export function logSearchParams(url: string, nowMs: number): LogSearch {
  const params = QueryParams.of(url);
  const traceId = params.string("traceId");
  const search: LogSearch = {
    window: parseWindow(params, nowMs),
    q: params.string("q"),
    service: params.string("service"),
    traceId: traceId === undefined ? undefined : parseTraceId("traceId", traceId),
    minSeverity: severity(params),
    limit: limit(params, 100),
  };
  params.done();
  return search;
}

export function traceParams(url: string, traceId: string): string {
  const params = QueryParams.of(url);
  params.done();
  return parseTraceId("traceId", traceId);
}

export function seriesPointsParams(url: string, seriesId: string, nowMs: number): SeriesPointsQuery {
  const params = QueryParams.of(url);
  if (!/^\d{1,15}$/.test(seriesId)) fail("id", "must be a series id (a positive integer)");
  const query: SeriesPointsQuery = {
    seriesId: Number(seriesId),
    window: parseWindow(params, nowMs),
    limit: limit(params, MAX_LIMIT),
  };
  params.done();
  return query;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A run id as the engine makes them (a UUID by default): letters, digits, `.`, `_`, `:`, `-`; at most 128. */
export function runParams(url: string, runId: string): string {
  const params = QueryParams.of(url);
  params.done();
  if (!RUN_ID.test(runId)) {
    fail("runId", `must be 1 to 128 letters, digits, ".", "_", ":" or "-", got "${runId}"`);
  }
  return runId;
}

/** Nanoseconds to whole milliseconds, rounded up: a run starting at ms m is at or after t exactly when m ≥ ⌈t⌉. */
const ceilMs = (ns: bigint): number => Number((ns + NS_PER_MS - 1n) / NS_PER_MS);

/** Runs are few, so without `start` and `end` the list covers all time; each bound given limits it. */
export function runSearchParams(url: string, nowMs: number): RunSearch {
  const params = QueryParams.of(url);
  const start = params.string("start");
  const end = params.string("end");
  const startNs = start === undefined ? undefined : parseTime("start", start, nowMs);
  const endNs = end === undefined ? undefined : parseTime("end", end, nowMs);
  if (startNs !== undefined && endNs !== undefined && startNs >= endNs) fail("start", "must be before end");
  const search: RunSearch = {
    ...(startNs === undefined ? {} : { startMs: ceilMs(startNs) }),
    ...(endNs === undefined ? {} : { endMs: ceilMs(endNs) }),
    limit: limit(params, 100),
  };
  const experiment = params.string("experiment");
  if (experiment !== undefined) search.experiment = experiment;
  params.done();
  return search;
}
