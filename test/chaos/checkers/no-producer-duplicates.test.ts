import { describe, expect, it } from "vitest";
import { noProducerDuplicates } from "../../../chaos/checkers/no-producer-duplicates.js";
import type { PublishedRecord } from "../../../chaos/checkers/types.js";

let nextOffset = 0;
/** A record of `key` published by outbox attempt `attempt`, at the next offset of partition 0. */
const record = (key: string, attempt: number | null, partition = 0): PublishedRecord => ({
  key,
  attempt,
  partition,
  offset: nextOffset++,
});

describe("no_producer_duplicates", () => {
  it("is valid when every key is on the topic once", () => {
    const result = noProducerDuplicates.check(
      { records: [record("a", 1), record("b", 1), record("c", 1)] },
      {},
    );
    expect(result.valid).toBe(true);
    expect(result).toMatchObject({ recordCount: 3, keyCount: 3, duplicatedCount: 0, republishedCount: 0 });
  });

  it("reports two records of one key and one attempt as written twice by one publish", () => {
    const twice = [record("a", 1), record("a", 1)];
    const result = noProducerDuplicates.check({ records: [...twice, record("b", 1)] }, {});
    expect(result.valid).toBe(false);
    expect(result.reason).toBe("1 of 2 keys written twice by one publish attempt (1 extra records)");
    expect(result).toMatchObject({
      duplicatedCount: 1,
      extraRecordCount: 1,
      duplicated: [{ key: "a", attempt: 1, count: 2, at: twice.map((r) => `0:${r.offset}`) }],
    });
  });

  it("allows the relay's re-publish under a new outbox attempt, and counts it", () => {
    const result = noProducerDuplicates.check(
      { records: [record("a", 1), record("a", 2), record("b", 1)] },
      {},
    );
    expect(result.valid).toBe(true);
    expect(result).toMatchObject({ republishedCount: 1, republished: ["a"], duplicatedCount: 0 });
  });

  it("still finds a producer duplicate of a re-published attempt", () => {
    const result = noProducerDuplicates.check(
      { records: [record("a", 1), record("a", 2, 1), record("a", 2, 2)] },
      {},
    );
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({ duplicatedCount: 1, republishedCount: 1, extraRecordCount: 1 });
    expect((result.duplicated as { attempt: number }[])[0]?.attempt).toBe(2);
  });

  it("counts two records without an attempt as a duplicate: nothing tells them apart", () => {
    const result = noProducerDuplicates.check({ records: [record("a", null), record("a", null)] }, {});
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({
      withoutAttemptCount: 2,
      duplicated: [{ key: "a", attempt: null, count: 2 }],
    });
  });

  it("is unknown without records, and keeps at most maxExamples examples", () => {
    expect(noProducerDuplicates.check({}, {}).valid).toBe("unknown");
    const records = ["a", "b", "c"].flatMap((key) => [record(key, 1), record(key, 1)]);
    const result = noProducerDuplicates.check({ records }, { maxExamples: 2 });
    expect(result).toMatchObject({ duplicatedCount: 3 });
    expect(result.duplicated).toHaveLength(2);
  });

  it("throws on a malformed history: an attempt that is not a count, or two records at one position", () => {
    expect(() =>
      noProducerDuplicates.check({ records: [{ key: "a", attempt: 0, partition: 0, offset: 1 }] }, {}),
    ).toThrow(/attempt 0/);
    const at = { key: "a", attempt: 1, partition: 3, offset: 7 };
    expect(() => noProducerDuplicates.check({ records: [at, { ...at, key: "b" }] }, {})).toThrow(
      /two records at 3:7/,
    );
  });
});
