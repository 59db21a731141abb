import type { JsonObject } from "../../experiment/fault-unit.js";
import {
  describeSample,
  type LinkFaultKind,
  type LinkSample,
  linkFault,
  type NetworkFaultOptions,
  type ToxicPlan,
} from "./link-fault.js";
import { answered } from "./link-probe.js";
import type { ToxicStream } from "./toxiproxy.js";

export type BlackholeConfig = { stream: ToxicStream | "both" };

/** Silence must last this long, and well beyond the link's usual answer time, to count as a blackhole. */
const MIN_SILENCE_MILLIS = 250;

/** Toxiproxy's `timeout` toxic with timeout 0: data is swallowed and the connection never closes. */
export function blackholeToxics(stream: ToxicStream | "both"): ToxicPlan[] {
  const streams: ToxicStream[] = stream === "both" ? ["upstream", "downstream"] : [stream];
  return streams.map((s) => ({ type: "timeout", stream: s, attributes: { timeout: 0 } }));
}

export const silenceMillis = (before: LinkSample) =>
  Math.max(MIN_SILENCE_MILLIS, 5 * (before.medianMillis ?? 0));

/** Judges a blackholed link: it answered before, and now nothing at all comes back. */
export function judgeSilence(before: LinkSample, during: LinkSample) {
  if (!answered(before.outcome)) {
    return {
      tookEffect: false,
      evidence: `cannot tell: no answer even before the fault (${describeSample(before)})`,
    };
  }
  return {
    tookEffect: during.outcome === "silent",
    evidence: `before: ${describeSample(before)}; during: ${during.outcome === "silent" ? `nothing back within ${silenceMillis(before)} ms` : describeSample(during)}`,
  };
}

/** Swallows everything on a link without closing it, like a peer that vanished from the network. */
export const blackholeKind: LinkFaultKind<BlackholeConfig> = {
  name: "blackhole",
  description: "Swallows all data on a link without closing its connections.",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { stream: { enum: ["both", "upstream", "downstream"] } },
  },
  parse: (config: JsonObject) => ({
    stream: (config.stream as BlackholeConfig["stream"] | undefined) ?? "both",
  }),
  toxics: (config) => blackholeToxics(config.stream),
  samples: 1,
  waitMillis: (_config, before) => silenceMillis(before),
  judge: (_config, before, during) => judgeSilence(before, during),
};

export const blackholeFault = (options: NetworkFaultOptions = {}) => linkFault(blackholeKind, options);
