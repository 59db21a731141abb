import { performance } from "node:perf_hooks";
import { BadDataError, ShutDownError } from "../errors.js";
import type { SeriesPoints, WriteBatch } from "../model.js";
import type { StoreWriter } from "../store/writer.js";
import { familiesToRows, type SeriesState } from "./convert.js";
import { parseExposition } from "./exposition.js";
import { canonicalUrl, checkTarget, SCRAPE_SCOPE, type ScrapeTarget, targetResource } from "./targets.js";

export type { ScrapeTarget } from "./targets.js";

export interface ScraperOptions {
  targets: ScrapeTarget[];
  intervalMillis: number;
  /** Limit for one scrape, body included. */
  timeoutMillis: number;
  writer: Pick<StoreWriter, "write">;
  /**
   * Told when a target starts failing and when its points start being refused by the store: once per change
   * of state, not on every interval.
   */
  onError?: (error: Error, target: ScrapeTarget) => void;
  /** A larger body fails the scrape, so one runaway target cannot exhaust the collector's memory. */
  maxBodyBytes?: number;
}

export interface Scraper {
  /** The target is first scraped on the next interval; throws BadDataError for a bad or duplicate target. */
  addTarget(target: ScrapeTarget): void;
  /** A scrape of the target already under way still completes and is stored. */
  removeTarget(url: string): void;
  /** Scrapes every target once more, after any scrape of it under way; resolves once the store took or refused the points. */
  scrapeNow(): Promise<void>;
  /** Stops the interval and waits for scrapes under way; later calls return the same promise. */
  stop(): Promise<void>;
  /** The URLs of the targets with a scrape queued or under way (storing its points included). */
  scraping(): string[];
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

const ACCEPT = "text/plain;version=0.0.4";

interface TargetState {
  target: ScrapeTarget;
  /** Null until the first scrape, which starts the synthetic series. */
  firstScrapeUnixNano: bigint | null;
  series: Map<string, SeriesState>;
  /** Kept across failed scrapes so `up 0` lands in the same resource as `up 1`. */
  targetInfo: Record<string, string>;
  failing: boolean;
  unstored: boolean;
  /** The latest scrape queued for this target; scrapes of one target never overlap. */
  running: Promise<void> | null;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function failureReason(error: unknown, timeoutMillis: number): string {
  const e = asError(error);
  if (e.name === "TimeoutError") return `timed out after ${timeoutMillis} ms`;
  // fetch reports every network failure as "fetch failed" and keeps the useful part in its cause.
  if (e.message === "fetch failed" && e.cause instanceof Error) return e.cause.message;
  return e.message;
}

async function fetchBody(url: string, timeoutMillis: number, maxBodyBytes: number): Promise<string> {
  const response = await fetch(url, {
    headers: { Accept: ACCEPT },
    signal: AbortSignal.timeout(timeoutMillis),
    // A redirect could lead off the hosts the user configured.
    redirect: "error",
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  }
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (response.body !== null) {
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      if (bytes > maxBodyBytes) {
        await response.body.cancel();
        throw new Error(`body exceeds ${maxBodyBytes} bytes`);
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

function gauge(name: string, description: string, value: number, start: bigint, time: bigint): SeriesPoints {
  return {
    series: {
      name,
      description,
      unit: "",
      type: "gauge",
      temporality: 0,
      monotonic: false,
      attributes: "{}",
      metadata: "{}",
    },
    points: [
      {
        startTimeUnixNano: start,
        timeUnixNano: time,
        value,
        count: null,
        sum: null,
        min: null,
        max: null,
        flags: 0,
        detail: null,
        exemplars: null,
      },
    ],
  };
}

/**
 * Scrapes Prometheus text endpoints on an interval into the store. Only the targets given here or added later
 * are scraped. Failures become `up 0` points and `onError` calls, never exceptions out of the timer.
 */
export function startScraper(options: ScraperOptions): Scraper {
  const { intervalMillis, timeoutMillis, writer } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!(intervalMillis >= 1 && timeoutMillis >= 1 && maxBodyBytes >= 1)) {
    throw new RangeError(
      `scraper needs positive intervalMillis, timeoutMillis and maxBodyBytes, got ${intervalMillis}, ${timeoutMillis} and ${maxBodyBytes}`,
    );
  }
  const states = new Map<string, TargetState>();
  /** Scrapes queued or under way, with their target's URL (also of a target removed meanwhile). */
  const inFlight = new Map<Promise<void>, string>();
  let stopped: Promise<void> | null = null;

  const report = (state: TargetState, error: Error) => {
    try {
      options.onError?.(error, state.target);
    } catch {
      // A failing error handler must not stop the scraping it reports on.
    }
  };

  async function scrape(state: TargetState): Promise<void> {
    const { target } = state;
    const time = BigInt(Date.now()) * 1_000_000n;
    const started = performance.now();
    let rows: SeriesPoints[] = [];
    let samples = 0;
    let failure: string | null = null;
    try {
      const families = parseExposition(await fetchBody(target.url, timeoutMillis, maxBodyBytes));
      const converted = familiesToRows(families, time, state.series);
      rows = converted.rows;
      state.series = converted.states;
      state.targetInfo = converted.targetInfo;
      for (const family of families) samples += family.samples.length;
    } catch (error) {
      failure = failureReason(error, timeoutMillis);
      // A gap: after a failed scrape nothing is known about resets, so every series starts afresh.
      state.series = new Map();
    }
    const durationSeconds = (performance.now() - started) / 1000;
    state.firstScrapeUnixNano ??= time;
    const first = state.firstScrapeUnixNano;
    rows.push(
      gauge(
        "up",
        "1 if the last scrape of the target succeeded, 0 if it failed",
        failure === null ? 1 : 0,
        first,
        time,
      ),
      gauge("scrape_duration_seconds", "Duration of the scrape in seconds", durationSeconds, first, time),
      gauge("scrape_samples_scraped", "Samples the target exposed", samples, first, time),
    );
    if (failure !== null && !state.failing) {
      report(state, new Error(`scrape of ${target.url} (job "${target.job}") failed: ${failure}`));
    }
    state.failing = failure !== null;
    const batch: WriteBatch = {
      spans: [],
      metrics: [{ resource: targetResource(target, state.targetInfo), scope: SCRAPE_SCOPE, rows }],
      logs: [],
    };
    try {
      await writer.write(batch);
      state.unstored = false;
    } catch (error) {
      if (!state.unstored) {
        const reason = asError(error).message;
        report(
          state,
          new Error(`points scraped from ${target.url} (job "${target.job}") were not stored: ${reason}`),
        );
      }
      state.unstored = true;
    }
  }

  function run(state: TargetState): Promise<void> {
    const next = (state.running ?? Promise.resolve())
      .then(() => scrape(state))
      .catch((error: unknown) => report(state, asError(error)));
    state.running = next;
    inFlight.set(next, state.target.url);
    void next.finally(() => {
      inFlight.delete(next);
      if (state.running === next) state.running = null;
    });
    return next;
  }

  const timer = setInterval(() => {
    for (const state of states.values()) if (state.running === null) void run(state);
  }, intervalMillis);

  const scraper: Scraper = {
    addTarget(target) {
      if (stopped !== null) throw new ShutDownError();
      const checked = checkTarget(target);
      const existing = states.get(checked.url);
      if (existing !== undefined) {
        if (existing.target.job === checked.job) return;
        throw new BadDataError(
          `scrape target ${checked.url} is already scraped for job "${existing.target.job}"`,
        );
      }
      states.set(checked.url, {
        target: checked,
        firstScrapeUnixNano: null,
        series: new Map(),
        targetInfo: {},
        failing: false,
        unstored: false,
        running: null,
      });
    },
    removeTarget(url) {
      states.delete(canonicalUrl(url));
    },
    async scrapeNow() {
      if (stopped !== null) throw new ShutDownError();
      await Promise.all([...states.values()].map(run));
    },
    scraping() {
      return [...new Set(inFlight.values())];
    },
    stop() {
      if (stopped === null) {
        clearInterval(timer);
        stopped = Promise.all([...inFlight.keys()]).then(() => {});
      }
      return stopped;
    },
  };
  try {
    for (const target of options.targets) scraper.addTarget(target);
  } catch (error) {
    clearInterval(timer);
    throw error;
  }
  return scraper;
}
