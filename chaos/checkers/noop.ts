import type { Checker } from "./types.js";

/** Judges nothing and says so: the do-nothing checker, for wiring an experiment before its checker exists. */
export const noop: Checker = {
  name: "noop",
  description: "Always unknown: checks nothing.",
  configSchema: { type: "object", additionalProperties: false },
  check() {
    return { valid: "unknown", reason: "the noop checker judges nothing" };
  },
};
