import { describe, expect, it } from "vitest";
import { runRecords } from "../../../chaos/engine/topic-history.js";
import type { TopicRecord } from "../../../fixtures/shop/topology/kafka.js";

const METHOD_START = 1_000_000;

const record = (
  key: string,
  offset: number,
  headers: Record<string, string>,
  timestampMillis = METHOD_START + 1,
): TopicRecord => ({
  key,
  value: "{}",
  headers,
  partition: 2,
  offset: BigInt(offset),
  timestampMillis,
});

describe("the topic's records as the run's history", () => {
  const orders = new Map([
    ["order-run", { key: "idem-run", placedAtMillis: METHOD_START + 5 }],
    ["order-before", { key: "idem-before", placedAtMillis: METHOD_START - 5 }],
  ]);

  it("keys each record of the run by its order's Idempotency-Key, with the outbox attempt from its header", () => {
    const records = runRecords(
      [record("order-run", 4, { "outbox-attempt": "1" }), record("order-run", 9, { "outbox-attempt": "2" })],
      orders,
      METHOD_START,
    );
    expect(records).toEqual([
      { key: "idem-run", attempt: 1, partition: 2, offset: 4 },
      { key: "idem-run", attempt: 2, partition: 2, offset: 9 },
    ]);
  });

  it("leaves out orders placed before the method started, and keeps an unknown order written since as order:<id>", () => {
    const records = runRecords(
      [
        record("order-before", 1, { "outbox-attempt": "1" }),
        record("stray", 2, { "outbox-attempt": "1" }),
        record("older-stray", 3, {}, METHOD_START - 1),
      ],
      orders,
      METHOD_START,
    );
    expect(records).toEqual([{ key: "order:stray", attempt: 1, partition: 2, offset: 2 }]);
  });

  it("reads a missing or malformed attempt header as null", () => {
    const records = runRecords(
      [record("order-run", 1, {}), record("order-run", 2, { "outbox-attempt": "x" })],
      orders,
      METHOD_START,
    );
    expect(records.map((r) => r.attempt)).toEqual([null, null]);
  });
});
