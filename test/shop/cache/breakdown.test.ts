import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import {
  CACHE_SWITCHES,
  ProductCache,
  type ProductCacheOptions,
  RebuildLock,
} from "../../../fixtures/shop/cache/index.js";
import { CatalogDatabase, cacheDecisions, type Product, RedisFixture, until } from "./fixtures.js";

const redis = new RedisFixture();
let catalog: CatalogDatabase;
let switches: SwitchBoard;

beforeAll(() => redis.start());
afterAll(() => redis.stop());
beforeEach(async () => {
  await redis.flush();
  catalog = new CatalogDatabase(100);
  switches = new SwitchBoard();
});
afterEach(() => catalog.close());

/** One catalog replica: its own Redis connection, its own process-local single-flight, its own query count. */
interface Replica {
  cache: ProductCache<Product>;
  queries: number;
}

async function replica(options: Partial<ProductCacheOptions<Product>> = {}): Promise<Replica> {
  const self: Replica = {
    queries: 0,
    cache: new ProductCache<Product>({
      redis: redis.client(),
      load: catalog.load,
      onDatabaseQuery: () => {
        self.queries++;
      },
      switches,
      ...options,
    }),
  };
  await self.cache.buildBloomFilter(catalog.ids());
  return self;
}

async function twoReplicas(): Promise<[Replica, Replica]> {
  return [await replica(), await replica()];
}

/** Fills the hot key, then lets Redis expire it for real. */
async function expireHotKey(cache: ProductCache<Product>, id: string): Promise<void> {
  await cache.get(id);
  await redis.admin.pexpire(cache.entryKey(id), 1);
  await until("the hot key to expire", async () => (await redis.admin.exists(cache.entryKey(id))) === 0);
}

async function stampede(replicas: Replica[], id: string, perReplica: number): Promise<(Product | null)[]> {
  for (const r of replicas) r.queries = 0;
  catalog.resetCounts();
  return Promise.all(replicas.flatMap((r) => Array.from({ length: perReplica }, () => r.cache.get(id))));
}

function setSwitches(settings: Partial<Record<keyof typeof CACHE_SWITCHES, boolean>>): void {
  for (const [name, on] of Object.entries(settings)) {
    switches.define(CACHE_SWITCHES[name as keyof typeof CACHE_SWITCHES]).set(on);
  }
}

it("a hot key expiring under 500 concurrent requests from two replicas costs one database query", async () => {
  const replicas = await twoReplicas();
  await expireHotKey(replicas[0].cache, "7");

  const answers = await stampede(replicas, "7", 250);

  expect(answers.every((p) => p?.id === "7" && p.priceCents === 700)).toBe(true);
  expect(catalog.queries).toBe(1);
  expect(replicas.map((r) => r.queries).sort()).toEqual([0, 1]);
});

it("negative control: with single-flight and the rebuild lock off, the same stampede sends hundreds of queries", async () => {
  const replicas = await twoReplicas();
  await expireHotKey(replicas[0].cache, "7");
  setSwitches({ singleFlight: false, rebuildLock: false });

  const answers = await stampede(replicas, "7", 250);

  expect(answers.every((p) => p?.id === "7")).toBe(true);
  // Every request whose GET went out before the first refill landed queries: hundreds of the 500.
  expect(catalog.queries).toBeGreaterThanOrEqual(100);
  expect(replicas[0].queries + replicas[1].queries).toBe(catalog.queries);
});

it("single-flight alone holds each replica to one database query", async () => {
  const replicas = await twoReplicas();
  await expireHotKey(replicas[0].cache, "7");
  setSwitches({ rebuildLock: false });

  await stampede(replicas, "7", 250);

  // Two when both replicas missed; one when the second replica's reads came after the first one's refill.
  expect(replicas.every((r) => r.queries <= 1)).toBe(true);
  expect(catalog.queries).toBeGreaterThanOrEqual(1);
});

it("the SET NX lock alone holds both replicas to one database query", async () => {
  const replicas = await twoReplicas();
  await expireHotKey(replicas[0].cache, "7");
  setSwitches({ singleFlight: false });

  const answers = await stampede(replicas, "7", 250);

  expect(answers.every((p) => p?.id === "7")).toBe(true);
  expect(catalog.queries).toBe(1);
});

it("a hot absent id behind a Bloom false positive also costs one query: waiters re-read the tombstone", async () => {
  const replicas = await twoReplicas();
  setSwitches({ bloomFilter: false });

  const answers = await stampede(replicas, "absent", 250);

  expect(answers.every((p) => p === null)).toBe(true);
  expect(catalog.queries).toBe(1);
});

it("a waiter takes over the rebuild when the lock holder died without releasing it", async () => {
  const survivor = await replica();
  const { cache } = survivor;
  await redis.admin.set(cache.lockKey("7"), "token-of-a-dead-replica", "PX", 200);
  const waitsBefore = await cacheDecisions("lock_wait");

  expect(await cache.get("7")).toEqual({ id: "7", name: "product 7", priceCents: 700 });
  expect(survivor.queries).toBe(1);
  expect(catalog.queries).toBe(1);
  expect(await cacheDecisions("lock_wait")).toBe(waitsBefore + 1);
  expect(await redis.admin.exists(cache.lockKey("7"))).toBe(0);
});

it("a waiter gives up with CacheLockWaitError when a holder keeps the lock past its wait budget", async () => {
  const { cache } = await replica({ lockTtlMillis: 100, lockWaitMillis: 10, lockWaitAttempts: 10 });
  await redis.admin.set(cache.lockKey("7"), "token-of-a-stuck-replica", "PX", 60_000);

  await expect(cache.get("7")).rejects.toMatchObject({
    code: "SHOP_CACHE_LOCK_WAIT_EXHAUSTED",
    key: cache.lockKey("7"),
    attempts: 10,
  });
  expect(catalog.queries).toBe(0);
});

it("refuses a wait budget shorter than the lock's TTL, which would fail requests whenever a holder dies", async () => {
  await expect(
    replica({ lockTtlMillis: 3000, lockWaitMillis: 10, lockWaitAttempts: 10 }),
  ).rejects.toMatchObject({
    code: "SHOP_CACHE_CONFIG",
    option: "lockWaitAttempts",
  });
});

it("releases the lock only with its holder's token, so an expired holder cannot free its successor's lock", async () => {
  const lock = new RebuildLock(redis.client(), 50);
  const first = await lock.tryAcquire("lock:7");
  if (first === undefined) throw new Error("the first lease was refused on a free key");
  expect(await lock.tryAcquire("lock:7")).toBeUndefined();
  await until("the first lease to expire", async () => (await redis.admin.exists("lock:7")) === 0);

  const second = await lock.tryAcquire("lock:7");
  if (second === undefined) throw new Error("the second lease was refused after the first expired");
  expect(await lock.release(first)).toBe(false);
  expect(await redis.admin.get("lock:7")).toBe(second.token);
  expect(await lock.release(second)).toBe(true);
  expect(await redis.admin.exists("lock:7")).toBe(0);
});
