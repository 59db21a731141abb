import { setTimeout as delay } from "node:timers/promises";

/** Time as the run loop sees it: Unix epoch milliseconds, and waiting that can be aborted. */
export interface Clock {
  now(): number;
  /** Resolves after `millis`; rejects with the signal's reason when it aborts first. */
  sleep(millis: number, signal?: AbortSignal): Promise<void>;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (millis, signal) => delay(Math.max(0, millis), undefined, signal === undefined ? {} : { signal }),
};

interface Timer {
  dueMillis: number;
  sequence: number;
  resolve(): void;
}

/**
 * Simulated time (Jepsen tests its schedules this way): `sleep` never waits for real. With `autoAdvance`
 * (the default), whenever every pending promise has settled the clock jumps to the earliest timer and fires
 * it, so a whole run takes milliseconds and timestamps are exact. That holds as long as the code under test
 * waits only on this clock and on promises, not on real I/O.
 */
export class SimulatedClock implements Clock {
  private nowMillis: number;
  private sequence = 0;
  private readonly timers: Timer[] = [];
  private tickScheduled = false;

  constructor(
    startMillis = 0,
    private readonly options: { autoAdvance?: boolean } = {},
  ) {
    this.nowMillis = startMillis;
  }

  now(): number {
    return this.nowMillis;
  }

  sleep(millis: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = {
        dueMillis: this.nowMillis + Math.max(0, millis),
        sequence: this.sequence++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers.splice(this.timers.indexOf(timer), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.timers.push(timer);
      this.scheduleTick();
    });
  }

  /** Moves time forward by `millis`, firing every timer that falls due, in order. */
  async advance(millis: number): Promise<void> {
    const until = this.nowMillis + millis;
    for (
      let timer = this.earliest();
      timer !== undefined && timer.dueMillis <= until;
      timer = this.earliest()
    ) {
      this.fire(timer);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.nowMillis = until;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  private earliest(): Timer | undefined {
    return this.timers.reduce<Timer | undefined>(
      (best, timer) =>
        best === undefined ||
        timer.dueMillis < best.dueMillis ||
        (timer.dueMillis === best.dueMillis && timer.sequence < best.sequence)
          ? timer
          : best,
      undefined,
    );
  }

  private fire(timer: Timer): void {
    this.timers.splice(this.timers.indexOf(timer), 1);
    this.nowMillis = Math.max(this.nowMillis, timer.dueMillis);
    timer.resolve();
  }

  // setImmediate runs after every pending promise callback, so the run loop is idle when time jumps.
  private scheduleTick(): void {
    if (this.options.autoAdvance === false || this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      const timer = this.earliest();
      if (timer === undefined) return;
      this.fire(timer);
      if (this.timers.length > 0) this.scheduleTick();
    });
  }
}
