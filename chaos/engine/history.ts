import type { ClientOperation, History, RequestOutcome } from "../checkers/types.js";
import type { RunTimes } from "../experiment/windows.js";
import type { FloodRecord } from "../load/flood.js";
import type { HistorySource } from "../timeline/engine.js";

/** The flood records of one run: those scheduled between the method's start and end. */
export function recordsWithin(
  records: readonly FloodRecord[],
  startMillis: number,
  endMillis: number,
): FloodRecord[] {
  return records
    .filter((record) => record.scheduledAtMillis >= startMillis && record.scheduledAtMillis <= endMillis)
    .sort((a, b) => a.scheduledAtMillis - b.scheduledAtMillis);
}

export function requestOutcome(record: FloodRecord): RequestOutcome {
  return {
    timeMillis: record.scheduledAtMillis,
    sentAtMillis: record.sentAtMillis,
    status: record.status,
    retryAfter: record.retryAfter,
    traceId: record.traceId,
    ...(record.latencyMillis === null
      ? {}
      : {
          latencyMillis: record.latencyMillis,
          answeredAtMillis: record.sentAtMillis + record.latencyMillis,
        }),
    ...(record.headers === null ? {} : { headers: record.headers }),
  };
}

/** Each request as a Jepsen op pair, keyed by its idempotency key (or its request id when it sent none). */
function operations(records: readonly FloodRecord[]): ClientOperation[] {
  return records.flatMap((record): ClientOperation[] => {
    const key = record.idempotencyKey ?? record.requestId;
    return [
      { type: "invoke", key, timeMillis: record.sentAtMillis, traceId: record.traceId },
      {
        type: record.outcome,
        key,
        timeMillis: record.sentAtMillis + (record.latencyMillis ?? 0),
        traceId: record.traceId,
      },
    ];
  });
}

const FIELDS = [
  "operations",
  "effects",
  "records",
  "requests",
  "breakerTransitions",
  "calleeCalls",
  "faults",
] as const;

/**
 * The run's ground truth: the flood's records as `requests` and `operations` and the faults' times, merged
 * with what other sources add (the ledger's effects, breaker transitions from telemetry).
 */
export function floodHistory(
  records: () => readonly FloodRecord[],
  more: readonly HistorySource[] = [],
): HistorySource {
  return {
    async collect(times: RunTimes): Promise<History> {
      const mine = recordsWithin(records(), times.methodStartMillis, times.methodEndMillis);
      const faults = Object.entries(times.faults).map(([id, fault]) => ({ id, ...fault }));
      return merge([
        { requests: mine.map(requestOutcome), operations: operations(mine), faults },
        ...(await Promise.all(more.map((source) => source.collect(times)))),
      ]);
    },
  };
}

/** Several sources as one (a topology's ledger effects and breaker transitions), their lists concatenated. */
export function combinedHistory(sources: readonly HistorySource[]): HistorySource {
  return {
    async collect(times: RunTimes): Promise<History> {
      return merge(await Promise.all(sources.map((source) => source.collect(times))));
    },
  };
}

function merge(parts: readonly History[]): History {
  const merged: Record<string, unknown[]> = {};
  for (const part of parts) {
    for (const field of FIELDS) {
      const items = part[field];
      if (items !== undefined) merged[field] = [...(merged[field] ?? []), ...items];
    }
  }
  return merged as History;
}
