import type { JsonObject } from "../../experiment/fault-unit.js";
import { describeSample, type LinkFaultKind, linkFault, type NetworkFaultOptions } from "./link-fault.js";
import type { ToxicStream } from "./toxiproxy.js";

export type ResetConfig = { afterMillis: number; stream: ToxicStream };

/**
 * Resets connections on a link (TCP RST, "connection reset by peer") once data flows, after `afterMillis`
 * (Toxiproxy's `reset_peer` toxic). Upstream by default: the caller's request triggers it, so the node never
 * sees it; downstream lets the request through and resets the answer — a call whose outcome is unknown.
 */
export const resetKind: LinkFaultKind<ResetConfig> = {
  name: "reset",
  description: "Resets the connections of a link with a TCP RST once data flows.",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      afterMillis: { type: "integer", minimum: 0, maximum: 600_000 },
      stream: { enum: ["upstream", "downstream"] },
    },
  },
  parse: (config: JsonObject) => ({
    afterMillis: (config.afterMillis as number | undefined) ?? 0,
    stream: (config.stream as ToxicStream | undefined) ?? "upstream",
  }),
  toxics: (config) => [
    { type: "reset_peer", stream: config.stream, attributes: { timeout: config.afterMillis } },
  ],
  samples: 1,
  waitMillis: (config, before) => (before.medianMillis ?? 0) + config.afterMillis + 2_000,
  judge(_config, before, during) {
    if (before.outcome === "reset") {
      return { tookEffect: false, evidence: "cannot tell: the link reset connections even before the fault" };
    }
    return {
      tookEffect: during.outcome === "reset",
      evidence: `before: ${describeSample(before)}; during: ${describeSample(during)}`,
    };
  },
};

export const resetFault = (options: NetworkFaultOptions = {}) => linkFault(resetKind, options);
