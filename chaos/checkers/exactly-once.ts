import { MalformedHistoryError } from "../experiment/errors.js";
import type { Checker, CheckResult, History } from "./types.js";

export interface ExactlyOnceConfig {
  /** How many example keys each list keeps; counts are always exact. Default 50. */
  maxExamples?: number;
}

type Outcome = "acknowledged" | "failed" | "indeterminate";

/** Invokes and completions of one key; a client may retry a key, so there can be several of each. */
interface Attempts {
  invokes: number;
  ok: number;
  fail: number;
  info: number;
  traceId?: string;
}

/** ok beats info beats fail: one acknowledgement proves it applied, one uncertain attempt makes it "maybe". */
function outcome(attempts: Attempts): Outcome {
  if (attempts.ok > 0) return "acknowledged";
  if (attempts.info > 0 || attempts.fail < attempts.invokes) return "indeterminate";
  return "failed";
}

function attemptsByKey(history: History): Map<string, Attempts> {
  const byKey = new Map<string, Attempts>();
  for (const op of history.operations ?? []) {
    let attempts = byKey.get(op.key);
    if (op.type === "invoke") {
      if (attempts === undefined) {
        attempts = { invokes: 0, ok: 0, fail: 0, info: 0 };
        byKey.set(op.key, attempts);
      }
      attempts.invokes += 1;
    } else {
      if (attempts === undefined || attempts.ok + attempts.fail + attempts.info >= attempts.invokes) {
        throw new MalformedHistoryError(
          `"${op.type}" for key "${op.key}" at ${op.timeMillis} has no open invoke`,
        );
      }
      attempts[op.type] += 1;
    }
    if (op.traceId !== undefined) attempts.traceId ??= op.traceId;
  }
  return byKey;
}

function effectsByKey(history: History): Map<string, number> {
  const byKey = new Map<string, number>();
  for (const effect of history.effects ?? []) {
    if (!Number.isInteger(effect.count) || effect.count < 0) {
      throw new MalformedHistoryError(`effect count ${effect.count} for key "${effect.key}" is not a count`);
    }
    byKey.set(effect.key, (byKey.get(effect.key) ?? 0) + effect.count);
  }
  return byKey;
}

/**
 * Every acknowledged order has exactly one effect (Jepsen's total-queue, made strict about duplicates):
 * `lost` acknowledged with no effect, `duplicated` more than one effect, `unexpected` an effect for a key
 * never attempted or known to have failed, `recovered` an indeterminate request whose effect appeared (allowed).
 */
export const exactlyOnce: Checker<ExactlyOnceConfig> = {
  name: "exactly_once",
  description: "Every acknowledged operation has exactly one effect, and nothing else has any.",
  configSchema: {
    type: "object",
    properties: { maxExamples: { type: "integer", minimum: 0 } },
    additionalProperties: false,
  },
  check(history, config): CheckResult {
    const maxExamples = config.maxExamples ?? 50;
    const attempts = attemptsByKey(history);
    const effects = effectsByKey(history);
    const counts = { acknowledged: 0, failed: 0, indeterminate: 0 };
    const lost: string[] = [];
    const duplicated: { key: string; count: number }[] = [];
    const unexpected: string[] = [];
    const recovered: string[] = [];
    const traceIds = new Set<string>();
    const blame = (key: string) => {
      const traceId = attempts.get(key)?.traceId;
      if (traceId !== undefined) traceIds.add(traceId);
    };

    for (const [key, keyAttempts] of attempts) {
      const result = outcome(keyAttempts);
      counts[result] += 1;
      if (result === "acknowledged" && (effects.get(key) ?? 0) === 0) {
        lost.push(key);
        blame(key);
      }
    }
    for (const [key, count] of effects) {
      if (count === 0) continue;
      const keyAttempts = attempts.get(key);
      const result = keyAttempts === undefined ? undefined : outcome(keyAttempts);
      if (result === undefined || result === "failed") unexpected.push(key);
      if (count > 1) duplicated.push({ key, count });
      if (result === "indeterminate") recovered.push(key);
      if (result === undefined || result === "failed" || count > 1) blame(key);
    }

    lost.sort();
    unexpected.sort();
    recovered.sort();
    duplicated.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const details = {
      attemptedCount: attempts.size,
      acknowledgedCount: counts.acknowledged,
      failedCount: counts.failed,
      indeterminateCount: counts.indeterminate,
      effectKeyCount: [...effects.values()].filter((count) => count > 0).length,
      lostCount: lost.length,
      duplicatedCount: duplicated.length,
      unexpectedCount: unexpected.length,
      recoveredCount: recovered.length,
      lost: lost.slice(0, maxExamples),
      duplicated: duplicated.slice(0, maxExamples),
      unexpected: unexpected.slice(0, maxExamples),
      recovered: recovered.slice(0, maxExamples),
      traceIds: [...traceIds].slice(0, maxExamples),
    };
    if (lost.length + duplicated.length + unexpected.length > 0) {
      const parts = [
        lost.length > 0 ? `${lost.length} lost` : "",
        duplicated.length > 0 ? `${duplicated.length} duplicated` : "",
        unexpected.length > 0 ? `${unexpected.length} unexpected` : "",
      ].filter((part) => part !== "");
      return { valid: false, reason: `${parts.join(", ")} of ${attempts.size} attempted`, ...details };
    }
    if (attempts.size === 0) return { valid: "unknown", reason: "no operation was attempted", ...details };
    return { valid: true, ...details };
  },
};
