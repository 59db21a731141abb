import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import { CACHE_SWITCHES, ProductCache } from "../../../fixtures/shop/cache/index.js";
import { CatalogDatabase, type Product, RedisFixture } from "./fixtures.js";

const redis = new RedisFixture();
let catalog: CatalogDatabase;
let switches: SwitchBoard;

// A long base TTL keeps the few milliseconds between writing a key and reading its PTTL negligible.
const BASE_TTL_MILLIS = 3_600_000;
const JITTER = 0.2;

beforeAll(() => redis.start());
afterAll(() => redis.stop());
beforeEach(async () => {
  await redis.flush();
  catalog = new CatalogDatabase(200);
  switches = new SwitchBoard();
});
afterEach(() => catalog.close());

/** Loads all 200 products at once, as a cold start or a flush does, and returns the PTTL of each key. */
async function writeTogetherAndReadTtls(): Promise<number[]> {
  const cache = new ProductCache<Product>({
    redis: redis.client(),
    load: catalog.load,
    ttlMillis: BASE_TTL_MILLIS,
    ttlJitterFraction: JITTER,
    switches,
  });
  await cache.buildBloomFilter(catalog.ids());
  const ids = [...catalog.ids()];
  await Promise.all(ids.map((id) => cache.get(id)));
  const pipeline = redis.admin.pipeline();
  for (const id of ids) pipeline.pttl(cache.entryKey(id));
  return ((await pipeline.exec()) ?? []).map(([, ttl]) => ttl as number);
}

it("keys written together with TTL jitter expire spread across base ± 20 %", async () => {
  const ttls = await writeTogetherAndReadTtls();

  expect(ttls).toHaveLength(200);
  const low = BASE_TTL_MILLIS * (1 - JITTER);
  const high = BASE_TTL_MILLIS * (1 + JITTER);
  // The few ms since the write may push a TTL drawn at the very bottom just below the lower bound.
  expect(ttls.every((ttl) => ttl > low - 60_000 && ttl <= high)).toBe(true);
  expect(Math.max(...ttls) - Math.min(...ttls)).toBeGreaterThan(BASE_TTL_MILLIS * JITTER);
  // Uniform: each quarter of the window holds some of the 200 keys (the chance any holds none is ~1e-25).
  const quarters = [0, 0, 0, 0];
  for (const ttl of ttls) {
    const quarter = Math.min(3, Math.max(0, Math.floor(((ttl - low) / (high - low)) * 4)));
    quarters[quarter] = (quarters[quarter] ?? 0) + 1;
  }
  expect(quarters.every((count) => count >= 20)).toBe(true);
});

it("negative control: with TTL jitter off, keys written together get the same TTL and would expire together", async () => {
  switches.define(CACHE_SWITCHES.ttlJitter).set(false);

  const ttls = await writeTogetherAndReadTtls();

  expect(ttls).toHaveLength(200);
  expect(ttls.every((ttl) => ttl > 0 && ttl <= BASE_TTL_MILLIS)).toBe(true);
  // Only the time between the first and the last write separates them: under 1 % of the TTL.
  expect(Math.max(...ttls) - Math.min(...ttls)).toBeLessThan(BASE_TTL_MILLIS * 0.01);
});

it("draws jitter from the injected source: the extremes of [0, 1) map to base × (1 ∓ fraction)", async () => {
  const draws = [0, 0.5, 0.999_999];
  const cache = new ProductCache<Product>({
    redis: redis.client(),
    load: catalog.load,
    ttlMillis: 100_000,
    ttlJitterFraction: 0.25,
    random: () => draws.shift() ?? 0.5,
    switches,
  });
  for (const id of ["1", "2", "3"]) await cache.get(id);

  const ttls = await Promise.all(["1", "2", "3"].map((id) => redis.admin.pttl(cache.entryKey(id))));

  expect(ttls[0]).toBeLessThanOrEqual(75_000);
  expect(ttls[0]).toBeGreaterThan(70_000);
  expect(ttls[1]).toBeLessThanOrEqual(100_000);
  expect(ttls[1]).toBeGreaterThan(95_000);
  expect(ttls[2]).toBeLessThanOrEqual(125_000);
  expect(ttls[2]).toBeGreaterThan(120_000);
});

it("refuses a jitter fraction outside [0, 1), naming the value", () => {
  expect(
    () => new ProductCache<Product>({ redis: redis.client(), load: catalog.load, ttlJitterFraction: 1 }),
  ).toThrow(expect.objectContaining({ code: "SHOP_CACHE_CONFIG", option: "ttlJitterFraction", value: 1 }));
});
