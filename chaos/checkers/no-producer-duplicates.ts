import { MalformedHistoryError } from "../experiment/errors.js";
import type { Checker, CheckResult, PublishedRecord } from "./types.js";

export interface NoProducerDuplicatesConfig {
  /** How many example keys each list keeps; counts are always exact. Default 50. */
  maxExamples?: number;
}

interface Duplicate {
  key: string;
  /** The outbox attempt written more than once; null when its records carry no attempt. */
  attempt: number | null;
  count: number;
  /** Where each copy sits, `partition:offset`. */
  at: string[];
}

function checkRecord(record: PublishedRecord): void {
  const { key, attempt, partition, offset } = record;
  if (typeof key !== "string" || key === "") throw new MalformedHistoryError("a record has no key");
  if (attempt !== null && (!Number.isInteger(attempt) || attempt < 1)) {
    throw new MalformedHistoryError(`record of key "${key}" has attempt ${attempt}, not an integer >= 1`);
  }
  if (!Number.isInteger(partition) || partition < 0 || !Number.isInteger(offset) || offset < 0) {
    throw new MalformedHistoryError(`record of key "${key}" sits at ${partition}:${offset}, not a position`);
  }
}

/**
 * The topic holds no record twice from one publish: a producer retry after a lost acknowledgement is the
 * only way two records of one key get the same outbox attempt, and the idempotent producer exists to stop
 * exactly that. Records of one key under different attempts are the relay publishing a row again after a
 * crash or a failed publish: at-least-once by design, allowed and counted as `republished`. Records
 * without an attempt cannot be told apart, so two of them count as a duplicate.
 */
export const noProducerDuplicates: Checker<NoProducerDuplicatesConfig> = {
  name: "no_producer_duplicates",
  description:
    "No record is on the topic twice from one publish attempt (a producer retry); re-publishes under a new outbox attempt are allowed.",
  configSchema: {
    type: "object",
    properties: { maxExamples: { type: "integer", minimum: 0 } },
    additionalProperties: false,
  },
  check(history, config): CheckResult {
    const maxExamples = config.maxExamples ?? 50;
    const records = history.records ?? [];
    const copies = new Map<string, Map<number | null, string[]>>();
    const positions = new Set<string>();
    for (const record of records) {
      checkRecord(record);
      const at = `${record.partition}:${record.offset}`;
      if (positions.has(at)) throw new MalformedHistoryError(`two records at ${at}`);
      positions.add(at);
      let byAttempt = copies.get(record.key);
      if (byAttempt === undefined) {
        byAttempt = new Map();
        copies.set(record.key, byAttempt);
      }
      byAttempt.set(record.attempt, [...(byAttempt.get(record.attempt) ?? []), at]);
    }
    const duplicated: Duplicate[] = [];
    const republished: string[] = [];
    for (const [key, byAttempt] of copies) {
      for (const [attempt, at] of byAttempt) {
        if (at.length > 1) duplicated.push({ key, attempt, count: at.length, at });
      }
      if (byAttempt.size > 1) republished.push(key);
    }
    duplicated.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.attempt ?? 0) - (b.attempt ?? 0)));
    republished.sort();
    const details = {
      recordCount: records.length,
      keyCount: copies.size,
      withoutAttemptCount: records.filter((record) => record.attempt === null).length,
      duplicatedCount: duplicated.length,
      extraRecordCount: duplicated.reduce((sum, d) => sum + d.count - 1, 0),
      republishedCount: republished.length,
      duplicated: duplicated.slice(0, maxExamples),
      republished: republished.slice(0, maxExamples),
    };
    if (duplicated.length > 0) {
      return {
        valid: false,
        reason: `${duplicated.length} of ${copies.size} keys written twice by one publish attempt (${details.extraRecordCount} extra records)`,
        ...details,
      };
    }
    if (records.length === 0)
      return { valid: "unknown", reason: "no record of the run is on the topic", ...details };
    return { valid: true, ...details };
  },
};
