import type { AbsoluteWindow } from "./telemetry.js";
import type { WindowSpec } from "./types.js";

/** The times a run recorded, by which windows are resolved after it. */
export interface RunTimes {
  readonly methodStartMillis: number;
  readonly methodEndMillis: number;
  /** For each fault action id: when injection began and when healing finished (null if it never did). */
  readonly faults: Readonly<
    Record<string, { injectedAtMillis: number | null; healedAtMillis: number | null }>
  >;
}

/** The absolute window a spec means in this run; null when the fault it refers to never got there. */
export function resolveWindow(spec: WindowSpec, times: RunTimes, nowMillis: number): AbsoluteWindow | null {
  switch (spec.anchor) {
    case "run":
      return { startMillis: times.methodStartMillis, endMillis: times.methodEndMillis };
    case "last":
      return { startMillis: nowMillis - spec.lengthMillis, endMillis: nowMillis };
    case "before": {
      const injected = times.faults[spec.fault]?.injectedAtMillis ?? null;
      if (injected === null) return null;
      const start = spec.lengthMillis === null ? times.methodStartMillis : injected - spec.lengthMillis;
      return {
        startMillis: Math.max(times.methodStartMillis, start),
        endMillis: injected,
        endsAtInjection: true,
      };
    }
    case "during": {
      const fault = times.faults[spec.fault];
      if (fault?.injectedAtMillis == null || fault.healedAtMillis === null) return null;
      return {
        startMillis: fault.injectedAtMillis + spec.offsetMillis,
        endMillis: fault.healedAtMillis,
        startsAtInjection: spec.offsetMillis === 0,
      };
    }
    case "after": {
      const healed = times.faults[spec.fault]?.healedAtMillis ?? null;
      if (healed === null) return null;
      const start = healed + spec.offsetMillis;
      const end = spec.lengthMillis === null ? times.methodEndMillis : start + spec.lengthMillis;
      return { startMillis: start, endMillis: Math.min(end, times.methodEndMillis) };
    }
  }
}

/** "5 s" for whole seconds, "750 ms" otherwise. */
export function formatMillis(millis: number): string {
  return millis % 1000 === 0 ? `${millis / 1000} s` : `${millis} ms`;
}

export function describeWindow(spec: WindowSpec): string {
  switch (spec.anchor) {
    case "run":
      return "whole run";
    case "last":
      return `last ${formatMillis(spec.lengthMillis)}`;
    case "before":
      return spec.lengthMillis === null
        ? `before ${spec.fault}`
        : `${spec.lengthMillis} ms before ${spec.fault}`;
    case "during":
      return spec.offsetMillis === 0
        ? `during ${spec.fault}`
        : `during ${spec.fault}, from ${spec.offsetMillis} ms in`;
    case "after": {
      const from =
        spec.offsetMillis === 0 ? `after ${spec.fault}` : `${spec.offsetMillis} ms after ${spec.fault}`;
      return spec.lengthMillis === null ? from : `${from}, for ${spec.lengthMillis} ms`;
    }
  }
}
