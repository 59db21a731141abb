import type Database from "better-sqlite3";
import { openDatabase } from "../../collector/store/schema.js";
import type { BreakerState, BreakerTransition, CalleeCall, History } from "../checkers/types.js";
import type { RunTimes } from "../experiment/windows.js";
import type { HistorySource } from "../timeline/engine.js";

const NS_PER_MS = 1_000_000n;

/** The RPC client's breaker decisions (fixtures/shop/rpc/client.ts) as the checker's states. */
const STATES: Readonly<Record<string, BreakerState>> = {
  opened: "open",
  half_opened: "half_open",
  closed: "closed",
  // Held open by hand: to a caller it is open.
  isolated: "open",
};

// Every process's decisions reach the collector as log records through its agent: each carries the
// deciding process's resource (the caller instance) and the callee as `peer.service`.
const TRANSITIONS = `
  SELECT l.time_ns AS timeNs,
         json_extract(l.attributes, '$."shakedown.decision"') AS decision,
         json_extract(l.attributes, '$."peer.service"') AS callee,
         r.service_instance_id AS source
  FROM logs l JOIN resources r ON r.id = l.resource_id
  WHERE l.ts_ns >= ? AND l.ts_ns <= ?
    AND json_extract(l.attributes, '$."shakedown.defense"') = 'rpc.circuit_breaker'`;

// A call that reached the callee is its SERVER span; its parent is the caller's CLIENT span, whose start
// says when the caller sent it (a call sent just before the breaker opened may arrive after) and whose
// resource names the caller instance.
const CALLS = `
  SELECT s.service_name AS callee,
         s.start_ns AS arrivedNs,
         p.start_ns AS sentNs,
         pr.service_instance_id AS source,
         lower(hex(s.trace_id)) AS traceId
  FROM spans s
  JOIN spans p ON p.trace_id = s.trace_id AND p.span_id = s.parent_span_id AND p.kind = 3
  JOIN resources pr ON pr.id = p.resource_id
  WHERE s.kind = 2 AND s.start_ns >= ? AND s.start_ns <= ? AND p.service_name <> s.service_name`;

/** Exact for whole milliseconds (what the agents' clocks give), sub-millisecond parts as a fraction. */
function millis(ns: bigint): number {
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

/** Breaker transitions and callee calls between `startMillis` and `endMillis`, from a collector database. */
export function readBreakerHistory(
  db: Database.Database,
  startMillis: number,
  endMillis: number,
): Pick<History, "breakerTransitions" | "calleeCalls"> {
  const start = BigInt(Math.floor(startMillis)) * NS_PER_MS;
  const end = BigInt(Math.ceil(endMillis)) * NS_PER_MS;
  const transitions = db.prepare(TRANSITIONS).safeIntegers(true).all(start, end) as {
    timeNs: bigint;
    decision: string;
    callee: string | null;
    source: string;
  }[];
  const calls = db.prepare(CALLS).safeIntegers(true).all(start, end) as {
    callee: string;
    arrivedNs: bigint;
    sentNs: bigint;
    source: string;
    traceId: string;
  }[];
  return {
    breakerTransitions: transitions.flatMap((row): BreakerTransition[] => {
      const state = STATES[row.decision];
      if (state === undefined || row.callee === null) return [];
      return [{ timeMillis: millis(row.timeNs), state, source: row.source, callee: row.callee }];
    }),
    calleeCalls: calls.map(
      (row): CalleeCall => ({
        timeMillis: millis(row.sentNs),
        source: row.source,
        callee: row.callee,
        traceId: row.traceId,
      }),
    ),
  };
}

/**
 * Ground truth for `calls_while_open`, read from the run's collector database after the telemetry lag: every
 * caller's breaker transitions (its `rpc.circuit_breaker` decisions) and every call that reached a callee
 * (its server spans), each with the caller instance as `source` and the callee's name.
 */
export function breakerHistory(databasePath: string): HistorySource {
  return {
    async collect(times: RunTimes): Promise<History> {
      const db = openDatabase(databasePath, { readonly: true });
      try {
        return readBreakerHistory(db, times.methodStartMillis, times.methodEndMillis);
      } finally {
        db.close();
      }
    },
  };
}
