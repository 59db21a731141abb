import type { FaultCatalog, FaultUnit, HealsUnconfirmed } from "../experiment/fault-unit.js";
import { burst } from "./burst.js";
import { byTarget } from "./by-target.js";
import { cacheExpire } from "./cache-expire.js";
import { detachedContext, type FaultContext, type FaultFactory } from "./context.js";
import { crashPoint } from "./crash-point.js";
import { defenseSwitch } from "./defense-switch.js";
import { errorRate } from "./error-rate.js";
import { kill } from "./kill.js";
import { killLeader } from "./kill-leader.js";
import { latency } from "./latency.js";
import { networkFaults } from "./network/index.js";
import { noop } from "./noop.js";
import { pause } from "./pause.js";
import { restart } from "./restart.js";
import { terminate } from "./terminate.js";

/** Every fault kind; experiment files name them by their snake_case `name`. */
export const FAULT_FACTORIES: readonly FaultFactory[] = [
  kill,
  killLeader,
  terminate,
  pause,
  restart,
  errorRate,
  latency,
  defenseSwitch,
  crashPoint,
  noop,
  cacheExpire,
  burst,
  ...networkFaults,
];

export type Faults = Readonly<Record<string, FaultUnit & Partial<HealsUnconfirmed>>>;

/**
 * The fault units by name, acting on the context's topology. The same map serves validation (through
 * `faultCatalog()`), runs and `recover`, so no fault kind is described twice.
 */
export function createFaults(
  context: FaultContext,
  factories: readonly FaultFactory[] = FAULT_FACTORIES,
): Faults {
  const byName = new Map<string, FaultFactory[]>();
  for (const factory of factories) {
    const name = factory(detachedContext()).name;
    byName.set(name, [...(byName.get(name) ?? []), factory]);
  }
  return Object.fromEntries(
    [...byName].map(([name, shared]) => [
      name,
      (shared.length === 1 ? (shared[0] as FaultFactory) : byTarget(shared))(context),
    ]),
  );
}

/** Names and schemas for validating experiment files, before any topology exists. */
export function faultCatalog(): FaultCatalog {
  return createFaults(detachedContext());
}
