import { describe, expect, it } from "vitest";
import { check, compose, mergeValidity } from "../../../chaos/checkers/compose.js";
import { exactlyOnce } from "../../../chaos/checkers/exactly-once.js";
import { noop } from "../../../chaos/checkers/noop.js";
import { checkers } from "../../../chaos/checkers/registry.js";
import type { Checker } from "../../../chaos/checkers/types.js";

const constant = (name: string, valid: true | false | "unknown"): Checker => ({
  name,
  description: "test",
  configSchema: {},
  check: () => ({ valid }),
});
const throwing: Checker = {
  name: "throwing",
  description: "test",
  configSchema: {},
  check: () => {
    throw new Error("boom");
  },
};

describe("checker composition", () => {
  it("merges verdicts so that false beats unknown beats true", () => {
    expect(mergeValidity([])).toBe(true);
    expect(mergeValidity([true, true])).toBe(true);
    expect(mergeValidity([true, "unknown", true])).toBe("unknown");
    expect(mergeValidity(["unknown", false, true])).toBe(false);
  });

  it("turns a checker that throws into an unknown verdict with its error", () => {
    expect(check(throwing, {}, {})).toMatchObject({ valid: "unknown", error: "boom" });
    expect(check(exactlyOnce, { operations: [{ type: "ok", key: "a", timeMillis: 1 }] }, {}).valid).toBe(
      "unknown",
    );
  });

  it("composes checkers into one verdict and keeps every result by name", () => {
    const composed = compose({
      a: { checker: constant("a", true), config: {} },
      b: { checker: throwing, config: {} },
    });
    expect(composed.check({}, {})).toMatchObject({
      valid: "unknown",
      reason: "not valid: b",
      results: { a: { valid: true }, b: { valid: "unknown" } },
    });
    const withFalse = compose({
      b: { checker: throwing, config: {} },
      c: { checker: constant("c", false), config: {} },
    });
    expect(withFalse.check({}, {}).valid).toBe(false);
  });

  it("registers every checker under its snake_case name, the noop one always unknown", () => {
    expect(Object.keys(checkers).sort()).toEqual([
      "admitted_rate",
      "calls_while_open",
      "exactly_once",
      "no_producer_duplicates",
      "noop",
    ]);
    expect(noop.check({}, {}).valid).toBe("unknown");
  });
});
