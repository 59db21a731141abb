import type { FaultFactory } from "./context.js";

/** Injects nothing and says so: the do-nothing fault, for a dry run of an experiment's schedule and checks. */
export const noop: FaultFactory = () => ({
  name: "noop",
  description: "Does nothing; verify always holds.",
  configSchema: { type: "object", additionalProperties: false, properties: {} },
  targetSchema: { type: "object" },
  async inject() {
    return {};
  },
  async verify() {
    return { tookEffect: true, evidence: "the noop fault has nothing to take effect" };
  },
  async heal() {},
  async healUnconfirmed() {},
});
