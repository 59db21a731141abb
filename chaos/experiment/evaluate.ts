import type { Validity } from "../checkers/types.js";
import type { AssertionKind, EvaluationContext } from "./assertions/types.js";
import type { AbsoluteWindow } from "./telemetry.js";
import type { Bar, Measurement } from "./types.js";
import { describeWindow } from "./windows.js";

/** A probe's or an assertion's result: the measured value beside its bar, and the verdict. */
export interface MeasurementOutcome {
  readonly name: string;
  readonly kind: string;
  readonly description: string | null;
  readonly windowLabel: string;
  readonly window: AbsoluteWindow | null;
  readonly valid: Validity;
  readonly measured: number | null;
  readonly unit: string;
  readonly bar: Bar | null;
  readonly reason: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly traceIds: readonly string[];
}

/**
 * Inclusive comparison with the bar; no measurement is unknown, never a pass. Without a measurement, a
 * known lower bound (`atLeast`) beyond the bar's `max` fails it, and one at or above a lone `min` meets it.
 */
export function judge(measured: number | null, bar: Bar | null, atLeast: number | null = null): Validity {
  if (bar === null) return "unknown";
  if (measured === null) {
    if (atLeast === null) return "unknown";
    if (bar.max !== undefined) return atLeast > bar.max ? false : "unknown";
    return bar.min !== undefined && atLeast >= bar.min ? true : "unknown";
  }
  if (bar.min !== undefined && measured < bar.min) return false;
  if (bar.max !== undefined && measured > bar.max) return false;
  return true;
}

export function formatBar(bar: Bar | null, unit: string): string {
  if (bar === null) return "";
  const suffix = unit === "" || unit === "ratio" || unit === "count" || unit === "status" ? "" : ` ${unit}`;
  if (bar.min !== undefined && bar.max !== undefined) return `${bar.min}..${bar.max}${suffix}`;
  if (bar.max !== undefined) return `≤ ${bar.max}${suffix}`;
  return `≥ ${bar.min}${suffix}`;
}

/** The outcome of a measurement the run never got to take; unknown, with why. */
export function notMeasured(
  measurement: Measurement,
  kinds: Readonly<Record<string, AssertionKind>>,
  reason: string,
): MeasurementOutcome {
  const kind = kinds[measurement.kind];
  return {
    name: measurement.name,
    kind: measurement.kind,
    description: measurement.description,
    windowLabel: kind?.windowed === false ? "" : describeWindow(measurement.window),
    window: null,
    valid: "unknown",
    measured: null,
    unit: kind?.unit ?? "",
    bar: measurement.bar,
    reason,
    details: {},
    traceIds: [],
  };
}

/**
 * Measures one probe or assertion. A window that could not be resolved, a kind that is unknown or throws,
 * and a measurement without data all give `"unknown"` with the reason — never an exception.
 */
export async function evaluateMeasurement(
  measurement: Measurement,
  kinds: Readonly<Record<string, AssertionKind>>,
  window: AbsoluteWindow | null,
  context: Omit<EvaluationContext, "window">,
): Promise<MeasurementOutcome> {
  const kind = kinds[measurement.kind];
  const base = {
    name: measurement.name,
    kind: measurement.kind,
    description: measurement.description,
    windowLabel: kind?.windowed === false ? "" : describeWindow(measurement.window),
    window,
    unit: kind?.unit ?? "",
    bar: measurement.bar,
  };
  const unknown = (reason: string) => ({
    ...base,
    valid: "unknown" as const,
    measured: null,
    reason,
    details: {},
    traceIds: [],
  });
  if (kind === undefined) return unknown(`no assertion kind "${measurement.kind}"`);
  if (window === null)
    return unknown(`window "${describeWindow(measurement.window)}" never happened in this run`);
  try {
    const result = await kind.evaluate(measurement.params, { ...context, window });
    const valid = result.valid ?? judge(result.measured, measurement.bar, result.atLeast ?? null);
    const reason =
      result.reason ??
      (valid === false
        ? `measured ${result.measured} ${kind.unit}, bar ${formatBar(measurement.bar, kind.unit)}`
        : null);
    return {
      ...base,
      valid,
      measured: result.measured,
      reason: valid === true ? null : reason,
      details: result.details ?? {},
      traceIds: result.traceIds ?? [],
    };
  } catch (error) {
    return unknown(`measuring failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
