import { describe, expect, it } from "vitest";
import { exactlyOnce } from "../../../chaos/checkers/exactly-once.js";
import type { ClientOperation, Effect } from "../../../chaos/checkers/types.js";

let clock = 0;
function op(type: ClientOperation["type"], key: string, traceId?: string): ClientOperation {
  clock += 10;
  return traceId === undefined ? { type, key, timeMillis: clock } : { type, key, timeMillis: clock, traceId };
}
function placed(key: string, completion: "ok" | "fail" | "info" | null, traceId?: string): ClientOperation[] {
  return completion === null
    ? [op("invoke", key, traceId)]
    : [op("invoke", key, traceId), op(completion, key)];
}
const effects = (entries: Record<string, number>): Effect[] =>
  Object.entries(entries).map(([key, count]) => ({ key, count }));

describe("exactly_once", () => {
  it("is valid when every acknowledged order has exactly one effect", () => {
    const result = exactlyOnce.check(
      {
        operations: [...placed("a", "ok"), ...placed("b", "ok"), ...placed("c", "fail")],
        effects: effects({ a: 1, b: 1 }),
      },
      {},
    );
    expect(result.valid).toBe(true);
    expect(result).toMatchObject({ attemptedCount: 3, acknowledgedCount: 2, failedCount: 1, lostCount: 0 });
  });

  it("reports an acknowledged order without an effect as lost", () => {
    const result = exactlyOnce.check(
      { operations: [...placed("a", "ok"), ...placed("b", "ok", "trace-b")], effects: effects({ a: 1 }) },
      {},
    );
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({ lostCount: 1, lost: ["b"], duplicatedCount: 0, unexpectedCount: 0 });
    expect(result.traceIds).toEqual(["trace-b"]);
    expect(result.reason).toBe("1 lost of 2 attempted");
  });

  it("reports an order with two ledger effects as duplicated", () => {
    const result = exactlyOnce.check(
      {
        operations: [...placed("a", "ok"), ...placed("b", "ok")],
        effects: [...effects({ a: 2 }), { key: "b", count: 1 }],
      },
      {},
    );
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({ duplicatedCount: 1, duplicated: [{ key: "a", count: 2 }], lostCount: 0 });
  });

  it("sums effect rows of the same key before judging duplicates", () => {
    const result = exactlyOnce.check(
      {
        operations: placed("a", "ok"),
        effects: [
          { key: "a", count: 1 },
          { key: "a", count: 1 },
        ],
      },
      {},
    );
    expect(result).toMatchObject({ valid: false, duplicatedCount: 1, duplicated: [{ key: "a", count: 2 }] });
  });

  it("allows an indeterminate request's effect to appear or not, and counts it as recovered when it does", () => {
    const result = exactlyOnce.check(
      {
        operations: [
          ...placed("a", "info"),
          ...placed("b", "info"),
          ...placed("c", null),
          ...placed("d", null),
        ],
        effects: effects({ a: 1, c: 1 }),
      },
      {},
    );
    expect(result.valid).toBe(true);
    expect(result).toMatchObject({
      indeterminateCount: 4,
      recoveredCount: 2,
      recovered: ["a", "c"],
      lostCount: 0,
      unexpectedCount: 0,
    });
  });

  it("still reports an indeterminate request applied twice as duplicated", () => {
    const result = exactlyOnce.check({ operations: placed("a", "info"), effects: effects({ a: 2 }) }, {});
    expect(result).toMatchObject({ valid: false, duplicatedCount: 1, recoveredCount: 1 });
  });

  it("reports effects for orders never attempted or known to have failed as unexpected", () => {
    const result = exactlyOnce.check(
      {
        operations: [...placed("a", "ok"), ...placed("f", "fail")],
        effects: effects({ a: 1, f: 1, ghost: 1 }),
      },
      {},
    );
    expect(result).toMatchObject({
      valid: false,
      unexpectedCount: 2,
      unexpected: ["f", "ghost"],
      failedCount: 1,
    });
  });

  it("treats a retried key as acknowledged once any attempt was acknowledged", () => {
    const operations = [op("invoke", "a"), op("info", "a"), op("invoke", "a"), op("ok", "a")];
    const result = exactlyOnce.check({ operations, effects: [] }, {});
    expect(result).toMatchObject({ valid: false, acknowledgedCount: 1, indeterminateCount: 0, lost: ["a"] });
  });

  it("counts every kind of anomaly exactly in a mixed history", () => {
    const operations = [
      ...["ok1", "ok2", "ok3", "ok4", "ok5"].flatMap((key) => placed(key, "ok")),
      ...["lost1", "lost2"].flatMap((key) => placed(key, "ok")),
      ...["dup1", "dup2", "dup3"].flatMap((key) => placed(key, "ok")),
      ...["info1", "info2", "info3"].flatMap((key) => placed(key, "info")),
      ...placed("pending", null),
      ...["failed1", "failed2"].flatMap((key) => placed(key, "fail")),
    ];
    const result = exactlyOnce.check(
      {
        operations,
        effects: effects({
          ok1: 1,
          ok2: 1,
          ok3: 1,
          ok4: 1,
          ok5: 1,
          dup1: 2,
          dup2: 3,
          dup3: 2,
          info1: 1,
          pending: 1,
          failed2: 1,
          stray: 4,
        }),
      },
      { maxExamples: 2 },
    );
    expect(result).toMatchObject({
      valid: false,
      attemptedCount: 16,
      acknowledgedCount: 10,
      indeterminateCount: 4,
      failedCount: 2,
      effectKeyCount: 12,
      lostCount: 2,
      duplicatedCount: 4,
      unexpectedCount: 2,
      recoveredCount: 2,
      lost: ["lost1", "lost2"],
      duplicated: [
        { key: "dup1", count: 2 },
        { key: "dup2", count: 3 },
      ],
      unexpected: ["failed2", "stray"],
      recovered: ["info1", "pending"],
    });
    expect(result.reason).toBe("2 lost, 4 duplicated, 2 unexpected of 16 attempted");
  });

  it("is unknown when nothing was attempted", () => {
    expect(exactlyOnce.check({ operations: [], effects: [] }, {}).valid).toBe("unknown");
  });

  it("rejects a completion that has no invoke", () => {
    expect(() => exactlyOnce.check({ operations: [op("ok", "a")] }, {})).toThrow(/no open invoke/);
  });
});
