import type { Checker, CheckResult, History, Validity } from "./types.js";

const RANK: Readonly<Record<string, number>> = { true: 0, unknown: 1, false: 2 };

/** Jepsen's merge-valid: false beats unknown beats true; nothing to merge is true. */
export function mergeValidity(values: Iterable<Validity>): Validity {
  let worst: Validity = true;
  for (const value of values) {
    if ((RANK[String(value)] ?? 0) > (RANK[String(worst)] ?? 0)) worst = value;
  }
  return worst;
}

/** Runs one checker; a checker that throws yields `"unknown"` with the error, never an exception. */
export function check<C extends object>(checker: Checker<C>, history: History, config: C): CheckResult {
  try {
    return checker.check(history, config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { valid: "unknown", reason: `checker ${checker.name} threw: ${message}`, error: message };
  }
}

/** A checker paired with its configuration, as an experiment names it. */
export interface ConfiguredChecker {
  readonly checker: Checker;
  readonly config: object;
}

/** Runs several checkers on one history; the verdict merges theirs and each result is kept by name. */
export function compose(checkers: Readonly<Record<string, ConfiguredChecker>>): Checker {
  const names = Object.keys(checkers);
  return {
    name: `compose(${names.join(",")})`,
    description: "All of the composed checkers' properties hold.",
    configSchema: { type: "object" },
    check(history) {
      const results: Record<string, CheckResult> = {};
      for (const name of names) {
        const entry = checkers[name] as ConfiguredChecker;
        results[name] = check(entry.checker, history, entry.config);
      }
      const valid = mergeValidity(Object.values(results).map((result) => result.valid));
      const failing = names.filter((name) => results[name]?.valid !== true);
      return valid === true
        ? { valid, results }
        : { valid, reason: `not valid: ${failing.join(", ")}`, results };
    },
  };
}
