import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves once `condition` holds, polling every 5 ms. The bound (counted in polls, so a test that fakes
 * Date still ends) only stops a broken run; nothing is asserted about how long the wait took.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what = "the condition",
  polls = 2000,
): Promise<void> {
  for (let poll = 0; !(await condition()); poll++) {
    if (poll >= polls) throw new Error(`gave up waiting for ${what} after ${polls} polls of 5 ms`);
    await sleep(5);
  }
}
