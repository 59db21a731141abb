import type { FaultUnit, HealsUnconfirmed } from "../../experiment/fault-unit.js";
import type { FaultFactory } from "../context.js";
import { ackLossFault } from "./ack-loss.js";
import { bandwidthFault } from "./bandwidth.js";
import { blackholeFault } from "./blackhole.js";
import { latencyFault } from "./latency.js";
import type { NetworkFaultOptions } from "./link-fault.js";
import { partitionFault } from "./partition.js";
import { resetFault } from "./reset.js";

export type { NetworkFaultOptions } from "./link-fault.js";

/** The network fault units over the host networks and Toxiproxy servers recorded in `options.stateDir`. */
export function networkFaultUnits(options: NetworkFaultOptions = {}): (FaultUnit & HealsUnconfirmed)[] {
  return [
    partitionFault(options),
    latencyFault(options),
    bandwidthFault(options),
    resetFault(options),
    blackholeFault(options),
    ackLossFault(options),
  ];
}

/**
 * The factories for the fault registry. The units find hosts and links in `defaultStateDir()`
 * (SHAKEDOWN_STATE_DIR, else `.data/state`) when they run; the context's seeded random draws partition
 * seeds. Creating them reads nothing and starts nothing.
 */
export const NETWORK_FAULTS: readonly FaultFactory[] = [
  (context) => partitionFault({ random: context.random }),
  () => latencyFault(),
  () => bandwidthFault(),
  () => resetFault(),
  () => blackholeFault(),
  () => ackLossFault(),
];

/** The name `chaos/faults/registry.ts` imports. */
export { NETWORK_FAULTS as networkFaults };
