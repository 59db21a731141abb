export const NS_PER_MS = 1_000_000n;

/** A half-open time range [startNs, endNs) in Unix nanoseconds. */
export interface TimeWindow {
  startNs: bigint;
  endNs: bigint;
}

/** Prometheus' limit on points per series: beyond it a chart is unreadable and a response needlessly large. */
export const MAX_BUCKETS = 11_000;
const TARGET_BUCKETS = 60;

/** A step of about a sixtieth of the window, in whole seconds once that is at least a second. */
export function defaultStepMs(window: TimeWindow): number {
  const stepMs = Math.max(1, Math.ceil(Number((window.endNs - window.startNs) / NS_PER_MS) / TARGET_BUCKETS));
  return stepMs < 1000 ? stepMs : Math.ceil(stepMs / 1000) * 1000;
}

/**
 * The steps covering a window, aligned to multiples of the step since the epoch so that a chart refreshed a
 * moment later shows the same buckets. The first and last bucket may lie partly outside the window.
 */
export class Buckets {
  readonly stepNs: bigint;
  readonly count: number;
  private readonly firstIndex: bigint;

  constructor(
    readonly window: TimeWindow,
    readonly stepMs: number,
  ) {
    this.stepNs = BigInt(stepMs) * NS_PER_MS;
    this.firstIndex = window.startNs / this.stepNs;
    this.count = Number((window.endNs - 1n) / this.stepNs - this.firstIndex) + 1;
  }

  /** The bucket holding `tNs`, which must lie inside the window. */
  index(tNs: bigint): number {
    return Number(tNs / this.stepNs - this.firstIndex);
  }

  startMs(index: number): number {
    return (Number(this.firstIndex) + index) * this.stepMs;
  }

  /** Seconds of the bucket inside the window, so that rates at the window's edges are not diluted. */
  coveredSeconds(index: number): number {
    const start = (this.firstIndex + BigInt(index)) * this.stepNs;
    const from = start > this.window.startNs ? start : this.window.startNs;
    const to = start + this.stepNs < this.window.endNs ? start + this.stepNs : this.window.endNs;
    return Number(to - from) / 1e9;
  }
}
