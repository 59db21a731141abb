import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { SwitchBoard, switchboard } from "../../../agents/index.js";
import {
  CACHE_SWITCHES,
  ProductCache,
  type ProductCacheOptions,
} from "../../../fixtures/shop/cache/index.js";
import { CatalogDatabase, cacheDecisions, cycle, type Product, RedisFixture } from "./fixtures.js";

const redis = new RedisFixture();
let catalog: CatalogDatabase;
let switches: SwitchBoard;

beforeAll(() => redis.start());
afterAll(() => redis.stop());
beforeEach(async () => {
  await redis.flush();
  catalog = new CatalogDatabase(1000);
  switches = new SwitchBoard();
});
afterEach(() => catalog.close());

async function catalogCache(
  options: Partial<ProductCacheOptions<Product>> = {},
): Promise<ProductCache<Product>> {
  const cache = new ProductCache<Product>({
    redis: redis.client(),
    load: catalog.load,
    bloom: { expectedItems: 1000, falsePositiveRate: 0.001 },
    switches,
    ...options,
  });
  await cache.buildBloomFilter(catalog.ids());
  return cache;
}

/** 2000 requests for ids that do not exist, in waves of 100, with a request for a real product after each 10. */
async function flood(cache: ProductCache<Product>, absentIds: (i: number) => string) {
  const served: (Product | null)[] = [];
  const absentAnswers: (Product | null)[] = [];
  for (let wave = 0; wave < 20; wave++) {
    const requests = Array.from({ length: 100 }, (_, i) => wave * 100 + i);
    await Promise.all(
      requests.map(async (i) => {
        absentAnswers.push(await cache.get(absentIds(i)));
        if (i % 10 === 0) served.push(await cache.get(String(1 + (i % 1000))));
      }),
    );
  }
  return { served, absentAnswers };
}

function setSwitches(settings: Partial<Record<keyof typeof CACHE_SWITCHES, boolean>>): void {
  for (const [name, on] of Object.entries(settings)) {
    switches.define(CACHE_SWITCHES[name as keyof typeof CACHE_SWITCHES]).set(on);
  }
}

it("a flood of 2000 absent ids costs at most 1 % of its requests in database queries while real products are served", async () => {
  const cache = await catalogCache();
  const rejectsBefore = await cacheDecisions("bloom_reject");

  const { served, absentAnswers } = await flood(cache, (i) => String(100_000 + i));

  expect(absentAnswers.every((answer) => answer === null)).toBe(true);
  expect(catalog.absentQueries).toBeLessThanOrEqual(20);
  expect(served).toHaveLength(200);
  expect(served.every((product) => product !== null && product.name === `product ${product.id}`)).toBe(true);
  expect((await cacheDecisions("bloom_reject")) - rejectsBefore).toBeGreaterThanOrEqual(1980);
});

it("negative control: with the Bloom filter and null caching off, database queries follow the flood one for one", async () => {
  const cache = await catalogCache();
  setSwitches({ bloomFilter: false, nullCaching: false });

  const { served } = await flood(cache, (i) => String(100_000 + i));

  expect(catalog.absentQueries).toBe(2000);
  expect(served.every((product) => product !== null)).toBe(true);
});

it("negative control: with only the Bloom filter off, null caching cannot absorb a flood of distinct absent ids", async () => {
  const cache = await catalogCache();
  setSwitches({ bloomFilter: false });

  await flood(cache, (i) => String(100_000 + i));

  expect(catalog.absentQueries).toBe(2000);
});

it("null caching absorbs repeats of absent ids the Bloom filter lets through, and its tombstones live briefly", async () => {
  const cache = await catalogCache({ nullTtlMillis: 30_000, ttlJitterFraction: 0.2 });
  const falsePositives = await falsePositiveIds(cache, 10);

  await flood(cache, (i) => cycle(falsePositives, i));

  expect(catalog.absentQueries).toBe(10);
  const ttl = await redis.admin.pttl(cache.entryKey(cycle(falsePositives, 0)));
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(36_000);
});

it("negative control: with null caching off, every repeat of an absent id the filter lets through reaches the database", async () => {
  const cache = await catalogCache();
  const falsePositives = await falsePositiveIds(cache, 10);
  setSwitches({ nullCaching: false });

  for (let i = 0; i < 200; i++) await cache.get(cycle(falsePositives, i));

  expect(catalog.absentQueries).toBe(200);
});

it("ignores tombstones it wrote earlier once null caching is switched off, and honours them again when it is back on", async () => {
  const cache = await catalogCache();
  setSwitches({ bloomFilter: false });
  await cache.get("absent");
  await cache.get("absent");
  expect(catalog.absentQueries).toBe(1);

  setSwitches({ nullCaching: false });
  await cache.get("absent");
  expect(catalog.absentQueries).toBe(2);

  setSwitches({ nullCaching: true });
  await cache.get("absent");
  expect(catalog.absentQueries).toBe(2);
});

it("serves a product added after its id was rejected and tombstoned, once productAdded is called", async () => {
  const cache = await catalogCache();
  expect(await cache.get("5000")).toBeNull();
  setSwitches({ bloomFilter: false });
  expect(await cache.get("5000")).toBeNull(); // now also a tombstone
  setSwitches({ bloomFilter: true });

  catalog.insert({ id: "5000", name: "new arrival", priceCents: 999 });
  await cache.productAdded("5000");

  expect(await cache.get("5000")).toEqual({ id: "5000", name: "new arrival", priceCents: 999 });
});

it("reads its switches from the process switchboard under the names the control endpoint uses", async () => {
  const cache = new ProductCache<Product>({ redis: redis.client(), load: catalog.load });
  await cache.buildBloomFilter(catalog.ids());
  const bloom = switchboard.define("cache.bloom_filter");
  try {
    await cache.get("absent-id");
    expect(catalog.absentQueries).toBe(0);

    bloom.set(false);
    await cache.get("absent-id");
    expect(catalog.absentQueries).toBe(1);
  } finally {
    bloom.set(true);
  }
  expect(Object.keys(switchboard.snapshot())).toEqual(
    expect.arrayContaining([
      "cache.bloom_filter",
      "cache.null_caching",
      "cache.single_flight",
      "cache.rebuild_lock",
      "cache.ttl_jitter",
    ]),
  );
});

/** Absent ids that the filter nonetheless lets through: only null caching stands between them and the DB. */
async function falsePositiveIds(cache: ProductCache<Product>, count: number): Promise<string[]> {
  const candidates = Array.from({ length: 50_000 }, (_, i) => `fp-${i}`);
  const verdicts = await Promise.all(candidates.map((id) => cache.bloomFilter.check(id)));
  const found = candidates.filter((_, i) => verdicts[i] === "maybe").slice(0, count);
  expect(found).toHaveLength(count);
  return found;
}

it("refuses an entry it did not write, naming the key, instead of serving it as a product", async () => {
  const cache = await catalogCache();
  await redis.admin.set(cache.entryKey("7"), "not json");

  await expect(cache.get("7")).rejects.toMatchObject({
    code: "SHOP_CACHE_BAD_ENTRY",
    key: cache.entryKey("7"),
  });
});
