import { setTimeout as sleep } from "node:timers/promises";

export interface Outcome {
  at: number;
  server?: string;
  error?: string;
}

export interface SteadyLoad {
  outcomes: Outcome[];
  /** Stops after the call in flight and resolves with every outcome. */
  stop(): Promise<Outcome[]>;
}

/**
 * Light load on loopback: one call at a time with a short pause, until stopped or `maxCalls` were made
 * (the bound of a broken run).
 */
export function steadyLoad(send: () => Promise<string>, maxCalls = 3000, pauseMillis = 10): SteadyLoad {
  const outcomes: Outcome[] = [];
  let stopping = false;
  const loop = (async () => {
    for (let i = 0; i < maxCalls && !stopping; i++) {
      const at = Date.now();
      try {
        outcomes.push({ at, server: await send() });
      } catch (error) {
        outcomes.push({ at, error: String(error) });
      }
      await sleep(pauseMillis);
    }
  })();
  return {
    outcomes,
    stop: async () => {
      stopping = true;
      await loop;
      return outcomes;
    },
  };
}
