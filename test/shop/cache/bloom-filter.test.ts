import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  BloomSizingError,
  bloomFalsePositiveRate,
  bloomPositions,
  bloomSize,
  RedisBloomFilter,
} from "../../../fixtures/shop/cache/index.js";
import { RedisFixture } from "./fixtures.js";

describe("Bloom filter sizing", () => {
  it("sizes a filter by m = -n ln p / (ln 2)^2 bits and k = (m / n) ln 2 hashes", () => {
    // -1000 ln 0.01 / (ln 2)^2 = 9585.06, rounded up; 9.586 ln 2 = 6.64, rounded to 7.
    expect(bloomSize(1000, 0.01)).toEqual({ bits: 9586, hashes: 7 });
    expect(bloomSize(1, 0.5)).toEqual({ bits: 2, hashes: 1 });
  });

  it("needs about 1.2 bytes per id for 1 %, and 0.6 bytes more for each tenfold lower rate, as the seed says", () => {
    const bytesPerItem = (p: number) => bloomSize(1_000_000, p).bits / 8 / 1_000_000;

    expect(bytesPerItem(0.01)).toBeCloseTo(1.2, 1);
    expect(bytesPerItem(0.001) - bytesPerItem(0.01)).toBeCloseTo(0.6, 1);
    expect(bytesPerItem(0.0001) - bytesPerItem(0.001)).toBeCloseTo(0.6, 1);
  });

  it("predicts a rate at or just under the target for the size it chose", () => {
    for (const p of [0.1, 0.01, 0.001]) {
      const rate = bloomFalsePositiveRate(bloomSize(10_000, p), 10_000);
      expect(rate).toBeGreaterThan(p * 0.9);
      expect(rate).toBeLessThan(p * 1.05);
    }
  });

  it("refuses the seed's billion ids at 1 %, which need more bits than one Redis bitmap holds", () => {
    expect(() => bloomSize(1_000_000_000, 0.01)).toThrow(BloomSizingError);
    expect(() => bloomSize(1_000_000_000, 0.01)).toThrow(/9585058378 bits exceed the 4294967296 bits/);
  });

  it("refuses fewer than one item and rates outside (0, 1), naming the values", () => {
    for (const [n, p] of [
      [0, 0.01],
      [1.5, 0.01],
      [100, 0],
      [100, 1],
      [100, Number.NaN],
    ] as const) {
      expect(() => bloomSize(n, p)).toThrow(
        expect.objectContaining({ code: "SHOP_CACHE_BLOOM_SIZING", expectedItems: n, falsePositiveRate: p }),
      );
    }
  });

  it("maps an id to the same k positions every time, all inside the bitmap", () => {
    const size = bloomSize(1000, 0.01);
    const positions = bloomPositions("product-42", size);

    expect(positions).toHaveLength(size.hashes);
    expect(bloomPositions("product-42", size)).toEqual(positions);
    for (const position of positions) {
      expect(Number.isInteger(position) && position >= 0 && position < size.bits).toBe(true);
    }
    expect(new Set(positions).size).toBeGreaterThan(1);
  });
});

describe("Bloom filter in Redis", () => {
  const redis = new RedisFixture();
  beforeAll(() => redis.start());
  afterAll(() => redis.stop());
  beforeEach(() => redis.flush());

  const products = (count: number) => Array.from({ length: count }, (_, i) => `product-${i}`);

  it("measures a false-positive rate on 10 000 absent ids within three standard deviations of the target", async () => {
    const target = 0.01;
    const filter = new RedisBloomFilter(redis.client(), {
      key: "test:bloom",
      expectedItems: 2000,
      falsePositiveRate: target,
    });
    await filter.build(products(2000));

    const absent = Array.from({ length: 10_000 }, (_, i) => `absent-${i}`);
    const verdicts = await Promise.all(absent.map((id) => filter.check(id)));
    const measured = verdicts.filter((v) => v === "maybe").length / absent.length;

    const sigma = Math.sqrt((target * (1 - target)) / absent.length);
    expect(Math.abs(measured - target)).toBeLessThan(3 * sigma);
    expect(verdicts.every((v) => v === "maybe" || v === "absent")).toBe(true);
  });

  it("never rejects an id it holds", async () => {
    const filter = new RedisBloomFilter(redis.client(), {
      key: "test:bloom",
      expectedItems: 2000,
      falsePositiveRate: 0.01,
    });
    await filter.build(products(2000));

    const verdicts = await Promise.all(products(2000).map((id) => filter.check(id)));

    expect(verdicts.filter((v) => v !== "maybe")).toEqual([]);
  });

  it("answers unbuilt, not absent, until a build has finished, so a fresh filter rejects no real id", async () => {
    const filter = new RedisBloomFilter(redis.client(), {
      key: "test:bloom",
      expectedItems: 100,
      falsePositiveRate: 0.01,
    });
    await filter.add(["product-1"]);

    expect(await filter.check("product-2")).toBe("unbuilt");
    await filter.build([]);
    expect(await filter.check("product-2")).toBe("absent");
    expect(await filter.check("product-1")).toBe("maybe");
  });

  it("ends with the same bits when two replicas build it at once while a product is added", async () => {
    const options = { key: "test:bloom", expectedItems: 5000, falsePositiveRate: 0.01, buildBatchSize: 100 };
    const replicaA = new RedisBloomFilter(redis.client(), options);
    const replicaB = new RedisBloomFilter(redis.client(), options);
    const ids = products(5000);

    await Promise.all([
      replicaA.build(ids),
      replicaB.build([...ids].reverse()),
      replicaA.add(["added-later"]),
    ]);

    const expected = Buffer.alloc(Math.ceil(replicaA.size.bits / 8));
    for (const id of [...ids, "added-later"]) {
      // Redis numbers bits from the most significant bit of the first byte.
      for (const position of bloomPositions(id, replicaA.size)) {
        const byte = position >> 3;
        expected.writeUInt8(expected.readUInt8(byte) | (0x80 >> (position & 7)), byte);
      }
    }
    const stored = (await redis.admin.getBuffer(replicaA.bitsKey)) ?? Buffer.alloc(0);
    const padded = Buffer.concat([stored, Buffer.alloc(expected.length - stored.length)]);
    expect(padded.equals(expected)).toBe(true);
    expect(replicaB.bitsKey).toBe(replicaA.bitsKey);
  });

  it("keeps filters of different sizes under different keys, so resizing never mixes bits", () => {
    const small = new RedisBloomFilter(redis.client(), {
      key: "k",
      expectedItems: 100,
      falsePositiveRate: 0.01,
    });
    const large = new RedisBloomFilter(redis.client(), {
      key: "k",
      expectedItems: 1000,
      falsePositiveRate: 0.01,
    });

    expect(small.bitsKey).toBe("k:m959:k7");
    expect(large.bitsKey).not.toBe(small.bitsKey);
  });
});
