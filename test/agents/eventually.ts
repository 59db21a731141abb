import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `probe` until it returns something other than undefined. The deadline only bounds a broken run;
 * nothing is asserted about how long the wait took.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined,
  deadlineMillis = 20_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMillis;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${deadlineMillis} ms`);
    await sleep(20);
  }
}
