import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { SqliteTelemetry } from "../experiment/sqlite-telemetry.js";
import type { Telemetry } from "../experiment/telemetry.js";
import { NoTelemetryError } from "./errors.js";

/** Telemetry with no database behind it: every question is answered by the error, so assertions are unknown. */
function missingTelemetry(path: string): Telemetry {
  const missing = async (): Promise<never> => {
    throw new NoTelemetryError(path);
  };
  return {
    requestCounts: missing,
    latencyQuantileMillis: missing,
    metricIncrease: missing,
    sqlScalar: missing,
    spanStarts: missing,
    requestOutcomes: missing,
    firstDecision: missing,
  };
}

/**
 * The run's telemetry: the collector's SQLite file opened read-only beside the running collector. A file
 * that does not exist gives telemetry that says so, so only assertions that need it end unknown.
 */
export function openTelemetry(path: string): { telemetry: Telemetry; close(): void } {
  if (!existsSync(path)) return { telemetry: missingTelemetry(path), close: () => {} };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  return { telemetry: new SqliteTelemetry(db), close: () => db.close() };
}
