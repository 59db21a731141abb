import { signalFault } from "./signal-fault.js";

/** SIGKILL: the node dies at once, without a chance to deregister; verified by its PID being gone; healed by a restart. */
export const kill = signalFault({
  name: "kill",
  description: "Ends the target nodes' processes with SIGKILL; heal restarts them through the supervisor.",
  signal: "SIGKILL",
  withinMillis: 5000,
});
