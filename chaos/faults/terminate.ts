import { signalFault } from "./signal-fault.js";

/**
 * SIGTERM: the node may shut down in order (deregister, drain); verified by its PID being gone `within` the
 * stop timeout (default 10 s, the supervisor's); healed by a restart.
 */
export const terminate = signalFault({
  name: "terminate",
  description: "Asks the target nodes to stop with SIGTERM; heal restarts them through the supervisor.",
  signal: "SIGTERM",
  withinMillis: 10_000,
});
