import { randomBytes, randomUUID } from "node:crypto";
import * as hdr from "hdr-histogram-js";
import type { FloodLoad, Load } from "../experiment/types.js";
import type { LoadDriver, RunningLoad } from "../timeline/engine.js";
import { UnsupportedLoadError } from "./errors.js";
import { logIn } from "./login.js";
import { assertLoopback } from "./loopback.js";

/**
 * How a request ended, Jepsen-style: `ok` acknowledged (2xx/3xx), `fail` certainly not applied (4xx, or the
 * connection was refused), `info` indeterminate (5xx, timeout, reset, stopped): it may have taken effect.
 */
export type FloodOutcome = "ok" | "fail" | "info";

/** One request of a flood, as ground truth for checkers and reports. */
export interface FloodRecord {
  /** `<flood>-<sequence>`, unique within the engine's process. */
  readonly requestId: string;
  /** When the open-model schedule wanted it sent (Unix epoch ms): start + sequence / rate. */
  readonly scheduledAtMillis: number;
  readonly sentAtMillis: number;
  readonly method: string;
  readonly url: string;
  /** The fresh key `{{key}}` was replaced with; null when the template has none. */
  readonly idempotencyKey: string | null;
  /** The trace id of the `traceparent` header sent, so a failing request links to its trace. */
  readonly traceId: string;
  readonly status: number | null;
  readonly outcome: FloodOutcome;
  /** Why there is no status ("timeout after 2000 ms", "ECONNREFUSED"), or null. */
  readonly error: string | null;
  /** From sending to the end of the response body; null without a response. */
  readonly latencyMillis: number | null;
  /** `orderId` (or `order.id`) of a JSON response: what the request created. */
  readonly orderId: string | null;
  /** The answer's headers the flood was asked to record (`recordHeaders`), by lowercase name; null when none were. */
  readonly headers: Readonly<Record<string, string>> | null;
}

export interface LatencySummary {
  readonly count: number;
  readonly meanMillis: number;
  readonly p50Millis: number;
  readonly p90Millis: number;
  readonly p99Millis: number;
  readonly maxMillis: number;
}

export interface FloodOptions {
  /** The base URL of a node of the service (`http://127.0.0.1:8080`); asked per request, so a restarted node is found. */
  baseUrl(service: string): string;
  /** The most requests one flood sends, whatever its rate and duration. Default 1 000 000. */
  readonly maxRequests?: number;
}

const MAX_BODY_PARSE_BYTES = 64 * 1024;
const DEFAULT_MAX_REQUESTS = 1_000_000;

function traceparent(): { header: string; traceId: string } {
  const traceId = randomBytes(16).toString("hex");
  return { header: `00-${traceId}-${randomBytes(8).toString("hex")}-01`, traceId };
}

function orderIdOf(text: string): string | null {
  if (text.length > MAX_BODY_PARSE_BYTES) return null;
  try {
    const body = JSON.parse(text) as { orderId?: unknown; order?: { id?: unknown } };
    const id = body?.orderId ?? body?.order?.id;
    return typeof id === "string" || typeof id === "number" ? String(id) : null;
  } catch {
    return null;
  }
}

function classify(error: unknown, timeoutMillis: number): { outcome: FloodOutcome; error: string } {
  const name = (error as Error)?.name;
  if (name === "TimeoutError") return { outcome: "info", error: `timeout after ${timeoutMillis} ms` };
  if (name === "AbortError") return { outcome: "info", error: "stopped" };
  const code =
    ((error as { cause?: { code?: string } })?.cause?.code ?? (error as Error)?.message) || "error";
  // Refused means the request never reached a server: certainly not applied.
  return { outcome: code === "ECONNREFUSED" ? "fail" : "info", error: code };
}

let floodCount = 0;

/**
 * One running flood: an open-model constant arrival rate. A timer releases the requests that are due, on
 * schedule, whether or not earlier ones were answered, so a slow server meets the same offered load (a
 * closed loop would slow down with it and hide the overload). Bounded by count and by time.
 */
export class Flood implements RunningLoad {
  readonly records: FloodRecord[] = [];
  readonly done: Promise<void>;
  /** Latency of answered requests in microseconds. */
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
  private readonly id = `flood${++floodCount}`;
  private readonly controller = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly total: number;
  private readonly intervalMillis: number;
  private readonly startedAt = performance.now();
  private readonly startedAtEpochMillis = Date.now();
  private readonly templated: boolean;
  /** What a record's `headers` is when there is no answer: null when the flood records none. */
  private readonly noHeaders: Record<string, string> | null;
  private sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private finish!: () => void;

  constructor(
    private readonly load: FloodLoad,
    private readonly options: FloodOptions,
    signal: AbortSignal,
    /** What `{{token}}` stands for: the token of the flood's login. */
    private readonly token: string | null = null,
  ) {
    this.intervalMillis = 1000 / load.ratePerSecond;
    this.total = Math.min(
      Math.max(1, Math.floor((load.ratePerSecond * load.durationMillis) / 1000)),
      options.maxRequests ?? DEFAULT_MAX_REQUESTS,
    );
    const { path, headers, body } = load.request;
    this.templated = JSON.stringify({ path, headers, body }).includes("{{key}}");
    this.noHeaders = load.recordHeaders === undefined || load.recordHeaders.length === 0 ? null : {};
    const settled = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    this.done = settled.then(() => Promise.all(this.inFlight)).then(() => {});
    signal.addEventListener("abort", () => void this.stop(), { once: true });
    this.tick();
  }

  /** Stops sending, aborts what is in flight (recorded as indeterminate) and waits for the records. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.controller.abort();
    this.finish();
    await this.done;
  }

  latency(): LatencySummary {
    const h = this.histogram;
    const ms = (micros: number) => micros / 1000;
    return {
      count: h.totalCount,
      meanMillis: h.totalCount === 0 ? 0 : ms(h.mean),
      p50Millis: ms(h.getValueAtPercentile(50)),
      p90Millis: ms(h.getValueAtPercentile(90)),
      p99Millis: ms(h.getValueAtPercentile(99)),
      maxMillis: ms(h.maxValue),
    };
  }

  private recorded(headers: Headers): Record<string, string> | null {
    if (this.noHeaders === null) return null;
    const kept: Record<string, string> = {};
    for (const name of this.load.recordHeaders ?? []) {
      const value = headers.get(name);
      if (value !== null) kept[name] = value;
    }
    return kept;
  }

  private tick(): void {
    if (this.controller.signal.aborted) return;
    const elapsed = performance.now() - this.startedAt;
    const due = Math.min(this.total, Math.floor(elapsed / this.intervalMillis) + 1);
    while (this.sent < due) this.send(this.sent++);
    if (this.sent >= this.total) {
      this.finish();
      return;
    }
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.sent * this.intervalMillis - elapsed));
  }

  private send(sequence: number): void {
    const request = this.request(sequence);
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  private async request(sequence: number): Promise<void> {
    const { method, service, path, headers, body } = this.load.request;
    const key = this.templated ? randomUUID() : null;
    // {{key}}: a fresh idempotency key per request; {{cycle N}}: 1..N in turn, to spread reads over N ids;
    // {{token}}: the login's token.
    const fill = (text: string) =>
      (key === null ? text : text.replaceAll("{{key}}", key))
        .replaceAll("{{token}}", this.token ?? "{{token}}")
        .replace(/\{\{cycle (\d+)\}\}/g, (_, n: string) => String((sequence % Number(n)) + 1));
    const trace = traceparent();
    const scheduledAtMillis = this.startedAtEpochMillis + sequence * this.intervalMillis;
    const sentAtMillis = Date.now();
    const base = {
      requestId: `${this.id}-${sequence}`,
      scheduledAtMillis,
      sentAtMillis,
      method,
      idempotencyKey: key,
      traceId: trace.traceId,
    };
    let url = fill(path);
    try {
      url = assertLoopback(new URL(fill(path), this.options.baseUrl(service)).toString()).toString();
    } catch (error) {
      this.records.push({
        ...base,
        url,
        status: null,
        outcome: "fail",
        error: (error as Error).message,
        latencyMillis: null,
        orderId: null,
        headers: this.noHeaders,
      });
      return;
    }
    const started = performance.now();
    try {
      const response = await fetch(url, {
        method,
        headers: {
          ...(body === null ? {} : { "content-type": "application/json" }),
          ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, fill(value)])),
          traceparent: trace.header,
        },
        ...(body === null ? {} : { body: fill(JSON.stringify(body)) }),
        signal: AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.load.timeoutMillis)]),
      });
      const text = await response.text();
      const latencyMillis = performance.now() - started;
      this.histogram.recordValue(Math.max(1, Math.round(latencyMillis * 1000)));
      const status = response.status;
      this.records.push({
        ...base,
        url,
        status,
        outcome: status < 400 ? "ok" : status < 500 ? "fail" : "info",
        error: null,
        latencyMillis,
        orderId: status < 400 ? orderIdOf(text) : null,
        headers: this.recorded(response.headers),
      });
    } catch (error) {
      this.records.push({
        ...base,
        url,
        status: null,
        ...classify(error, this.load.timeoutMillis),
        latencyMillis: null,
        orderId: null,
        headers: this.noHeaders,
      });
    }
  }
}

/** The engine's flood driver: every flood it started, for the history and the reports. */
export class FloodDriver implements LoadDriver {
  readonly floods: Flood[] = [];

  constructor(private readonly options: FloodOptions) {}

  async start(load: Load, signal: AbortSignal): Promise<Flood> {
    if (load.type !== "flood") throw new UnsupportedLoadError(load.type);
    // Checked once before anything is sent, and again per request (a node may move).
    const baseUrl = this.options.baseUrl(load.request.service);
    assertLoopback(baseUrl);
    const token =
      load.login === undefined ? null : await logIn(load.login, baseUrl, load.timeoutMillis, signal);
    const flood = new Flood(load, this.options, signal, token);
    this.floods.push(flood);
    return flood;
  }

  /** Every record of every flood, in the order requests ended. */
  records(): FloodRecord[] {
    return this.floods.flatMap((flood) => flood.records);
  }
}
