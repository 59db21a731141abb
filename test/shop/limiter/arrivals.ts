import type {
  BucketLimiterConfig,
  Decision,
  RateLimiter,
  WindowLimiterConfig,
} from "../../../fixtures/shop/limiter/index.js";

/** A limiter config without its scope and store (`Omit` over each member of the union). */
export type Shape =
  | Omit<WindowLimiterConfig, "scope" | "store">
  | Omit<BucketLimiterConfig, "scope" | "store">;

/** A seeded PRNG (mulberry32), so "random" traffic is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Arrival {
  key: string;
  atMillis: number;
}

/**
 * Bursty traffic on a simulated clock: `count` arrivals from `keys`, at multiples of 125 ms (exact in binary,
 * so bucket arithmetic has no rounding), often several at the same instant.
 */
export function burstyArrivals(seed: number, count: number, keys: readonly string[]): Arrival[] {
  const random = seeded(seed);
  const arrivals: Arrival[] = [];
  let atMillis = 0;
  for (let i = 0; i < count; i++) {
    if (random() < 0.4) atMillis += 125 * Math.floor(random() * 8);
    arrivals.push({ key: keys[Math.floor(random() * keys.length)] ?? "a", atMillis });
  }
  return arrivals;
}

/** Feeds arrivals one after another, as one gateway would, and returns every decision. */
export async function feed(limiter: RateLimiter, arrivals: readonly Arrival[]): Promise<Decision[]> {
  const decisions: Decision[] = [];
  for (const { key, atMillis } of arrivals) decisions.push(await limiter.take(key, atMillis));
  return decisions;
}

/** Which of `times` (one key, a simulated clock) a limiter admits. */
export async function admittedAt(limiter: RateLimiter, times: readonly number[]): Promise<number[]> {
  const admitted: number[] = [];
  for (const atMillis of times) if ((await limiter.take("k", atMillis)).allowed) admitted.push(atMillis);
  return admitted;
}

/** The most admissions found in any interval (t - windowMillis, t]; `times` ascending. */
export function mostInAnyWindow(times: readonly number[], windowMillis: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while ((times[first] ?? 0) <= (times[last] ?? 0) - windowMillis) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}
