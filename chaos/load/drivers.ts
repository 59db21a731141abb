import type { Load } from "../experiment/types.js";
import type { LoadDriver, RunningLoad } from "../timeline/engine.js";
import { UnsupportedLoadError } from "./errors.js";

/** One LoadDriver for the run loop that hands each load to the driver of its type (`flood`, `k6`). */
export function loadDrivers(drivers: Readonly<Partial<Record<Load["type"], LoadDriver>>>): LoadDriver {
  return {
    start(load: Load, signal: AbortSignal): Promise<RunningLoad> {
      const driver = drivers[load.type];
      if (driver === undefined) return Promise.reject(new UnsupportedLoadError(load.type));
      return driver.start(load, signal);
    },
  };
}
