/** Nearest-rank percentile of ascending `sorted` values, for `q` in [0, 1]; null for no values. */
export function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  // The epsilon keeps float noise (0.07 * 100 = 7.000000000000001) from skipping to the next rank.
  const rank = Math.max(1, Math.ceil(q * sorted.length - 1e-9));
  return sorted[rank - 1] ?? null;
}

export interface LatencySummary {
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** p50/p95/p99 of nanosecond durations, in milliseconds. Sorts `durationsNs` in place. */
export function latencySummary(durationsNs: number[]): LatencySummary {
  durationsNs.sort((a, b) => a - b);
  const ms = (q: number) => {
    const ns = nearestRank(durationsNs, q);
    return ns === null ? null : ns / 1e6;
  };
  return { p50Ms: ms(0.5), p95Ms: ms(0.95), p99Ms: ms(0.99) };
}
