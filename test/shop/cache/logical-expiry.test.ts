import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import { CACHE_SWITCHES, ProductCache } from "../../../fixtures/shop/cache/index.js";
import { CatalogDatabase, type Product, RedisFixture } from "./fixtures.js";

const redis = new RedisFixture();
let catalog: CatalogDatabase;
let switches: SwitchBoard;
let clock: number;

const TTL_MILLIS = 60_000;

beforeAll(() => redis.start());
afterAll(() => redis.stop());
beforeEach(async () => {
  await redis.flush();
  catalog = new CatalogDatabase(100);
  switches = new SwitchBoard();
  switches.define(CACHE_SWITCHES.ttlJitter).set(false);
  clock = 1_000_000;
});
afterEach(() => catalog.close());

interface Replica {
  cache: ProductCache<Product>;
  queries: number;
}

async function replica(): Promise<Replica> {
  const self: Replica = {
    queries: 0,
    cache: new ProductCache<Product>({
      redis: redis.client(),
      load: catalog.load,
      onDatabaseQuery: () => {
        self.queries++;
      },
      breakdownMode: "logical_expiry",
      ttlMillis: TTL_MILLIS,
      now: () => clock,
      switches,
    }),
  };
  await self.cache.buildBloomFilter(catalog.ids());
  return self;
}

/** Fills the key, changes the product in the database, and moves the shared clock past the logical expiry. */
async function staleHotKey(replicas: [Replica, Replica]): Promise<void> {
  await replicas[0].cache.get("7");
  catalog.setPrice("7", 777);
  clock += TTL_MILLIS + 1;
  catalog.resetCounts();
  for (const r of replicas) r.queries = 0;
}

async function stampede(replicas: Replica[]): Promise<(Product | null)[]> {
  const answers = await Promise.all(
    replicas.flatMap((r) => Array.from({ length: 250 }, () => r.cache.get("7"))),
  );
  await Promise.all(replicas.map((r) => r.cache.settled()));
  return answers;
}

it("keeps a hot key in Redis without a TTL and its expiry inside the value", async () => {
  const { cache } = await replica();
  await cache.get("7");

  expect(await redis.admin.pttl(cache.entryKey("7"))).toBe(-1);
  expect(JSON.parse((await redis.admin.get(cache.entryKey("7"))) ?? "null")).toEqual({
    value: { id: "7", name: "product 7", priceCents: 700 },
    logicalExpiresAtMillis: clock + TTL_MILLIS,
  });
});

it("serves the stale value to 500 concurrent requests from two replicas while one refresh queries the database", async () => {
  const replicas: [Replica, Replica] = [await replica(), await replica()];
  await staleHotKey(replicas);

  const answers = await stampede(replicas);

  expect(answers.every((p) => p?.priceCents === 700)).toBe(true);
  expect(catalog.queries).toBe(1);
  expect(await replicas[1].cache.get("7")).toMatchObject({ priceCents: 777 });
  expect(catalog.queries).toBe(1);
});

it("negative control: with single-flight and the rebuild lock off, every stale read starts its own refresh", async () => {
  const replicas: [Replica, Replica] = [await replica(), await replica()];
  await staleHotKey(replicas);
  switches.define(CACHE_SWITCHES.singleFlight).set(false);
  switches.define(CACHE_SWITCHES.rebuildLock).set(false);

  const answers = await stampede(replicas);

  // Reads that come after the first refreshes landed see the new price; every stale one started a refresh.
  const stale = answers.filter((p) => p?.priceCents === 700).length;
  expect(answers.every((p) => p?.priceCents === 700 || p?.priceCents === 777)).toBe(true);
  expect(stale).toBeGreaterThanOrEqual(100);
  expect(catalog.queries).toBe(stale);
});

it("fills a key missing altogether through the lock, as lock mode does", async () => {
  const replicas: [Replica, Replica] = [await replica(), await replica()];
  catalog.resetCounts();

  const answers = await stampede(replicas);

  expect(answers.every((p) => p?.priceCents === 700)).toBe(true);
  expect(catalog.queries).toBe(1);
});
