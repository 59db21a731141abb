import type { JsonObject } from "../../experiment/fault-unit.js";
import { describeSample, type LinkFaultKind, linkFault, type NetworkFaultOptions } from "./link-fault.js";
import { answered, PROBE_REQUEST } from "./link-probe.js";
import type { ToxicStream } from "./toxiproxy.js";

export type BandwidthConfig = { rateKilobytesPerSecond: number; stream: ToxicStream };

const OBSERVED_SHARE = 0.8;
/** Below this a probe's timing cannot tell a limited link from a free one. */
const OBSERVABLE_MILLIS = 5;
/** Toxiproxy delivers large chunks in pieces every 100 ms, so the first byte waits at most that long. */
const PIECE_MILLIS = 100;

/** Limits a link to `rateKilobytesPerSecond` (Toxiproxy's `bandwidth` toxic; 1 KB = 1000 bytes). */
export const bandwidthKind: LinkFaultKind<BandwidthConfig> = {
  name: "bandwidth",
  description: "Limits the throughput of a link to a rate in kilobytes per second.",
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["rateKilobytesPerSecond"],
    properties: {
      rateKilobytesPerSecond: { type: "integer", minimum: 1 },
      stream: { enum: ["downstream", "upstream"] },
    },
  },
  parse: (config: JsonObject) => ({
    rateKilobytesPerSecond: config.rateKilobytesPerSecond as number,
    stream: (config.stream as ToxicStream | undefined) ?? "downstream",
  }),
  toxics: (config) => [
    { type: "bandwidth", stream: config.stream, attributes: { rate: config.rateKilobytesPerSecond } },
  ],
  samples: 3,
  waitMillis: (_config, before) => (before.medianMillis ?? 0) + PIECE_MILLIS + 2_000,
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
    // The toxic holds each chunk for size / rate ms: the probe's request going up, the first answer coming down.
    const bytes = config.stream === "upstream" ? PROBE_REQUEST.length : before.firstChunkBytes;
    const expected = Math.min(bytes / config.rateKilobytesPerSecond, PIECE_MILLIS);
    const added = during.medianMillis - before.medianMillis;
    const measured = `+${added.toFixed(1)} ms for a ${bytes}-byte chunk at ${config.rateKilobytesPerSecond} KB/s ${config.stream}`;
    if (expected < OBSERVABLE_MILLIS) {
      // The toxic is in place (verify checked Toxiproxy lists it) but too generous for a probe to feel.
      return {
        tookEffect: true,
        evidence: `${measured}; expected +${expected.toFixed(1)} ms, too small to observe`,
      };
    }
    const required = OBSERVED_SHARE * expected;
    return {
      tookEffect: added >= required,
      evidence: `${measured}; at least ${required.toFixed(1)} ms required`,
    };
  },
};

export const bandwidthFault = (options: NetworkFaultOptions = {}) => linkFault(bandwidthKind, options);
