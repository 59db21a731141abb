import type { JsonObject } from "../../experiment/fault-unit.js";
import { describeSample, type LinkFaultKind, linkFault, type NetworkFaultOptions } from "./link-fault.js";
import { answered } from "./link-probe.js";
import type { ToxicStream } from "./toxiproxy.js";

export type LatencyConfig = { latencyMillis: number; jitterMillis: number; stream: ToxicStream };

/** Share of the configured delay a probe must observe: verification, not a test threshold. */
const OBSERVED_SHARE = 0.8;

/** Delays every chunk on a link by `latencyMillis` ± `jitterMillis` (Toxiproxy's `latency` toxic). */
export const latencyKind: LinkFaultKind<LatencyConfig> = {
  name: "latency",
  description: "Delays the data on a link by a fixed latency plus or minus jitter.",
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["latencyMillis"],
    properties: {
      latencyMillis: { type: "integer", minimum: 1, maximum: 600_000 },
      jitterMillis: { type: "integer", minimum: 0, maximum: 600_000 },
      stream: { enum: ["downstream", "upstream"] },
    },
  },
  parse: (config: JsonObject) => ({
    latencyMillis: config.latencyMillis as number,
    jitterMillis: (config.jitterMillis as number | undefined) ?? 0,
    stream: (config.stream as ToxicStream | undefined) ?? "downstream",
  }),
  toxics: (config) => [
    {
      type: "latency",
      stream: config.stream,
      attributes: { latency: config.latencyMillis, jitter: config.jitterMillis },
    },
  ],
  samples: 3,
  waitMillis: (config, before) =>
    (before.medianMillis ?? 0) + 2 * (config.latencyMillis + config.jitterMillis) + 1_000,
  judge(config, before, during) {
    if (before.medianMillis === null || !answered(before.outcome)) {
      return {
        tookEffect: false,
        evidence: `cannot measure: no answer even before the fault (${describeSample(before)})`,
      };
    }
    if (during.medianMillis === null) {
      return { tookEffect: false, evidence: `no answer during the fault (${describeSample(during)})` };
    }
    const added = during.medianMillis - before.medianMillis;
    // Jitter can take up to `jitterMillis` off every delay; what is left is the least a probe must see.
    const required = Math.max(OBSERVED_SHARE * (config.latencyMillis - config.jitterMillis), 1);
    return {
      tookEffect: added >= required,
      evidence:
        `median response ${before.medianMillis.toFixed(1)} -> ${during.medianMillis.toFixed(1)} ms: ` +
        `+${added.toFixed(1)} ms observed, at least ${required.toFixed(1)} ms required ` +
        `(latency ${config.latencyMillis} ± ${config.jitterMillis} ms ${config.stream})`,
    };
  },
};

export const latencyFault = (options: NetworkFaultOptions = {}) => linkFault(latencyKind, options);
