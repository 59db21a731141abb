import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { registry } from "../../../agents/index.js";
import { CACHE_SWITCHES } from "../../../fixtures/shop/cache/index.js";
import { type RealServer, startRedis } from "../../helpers/servers.js";

export interface Product {
  id: string;
  name: string;
  priceCents: number;
}

/**
 * A real SQLite catalog, the shape the catalog service queries: products "1".."count". It counts every
 * query it answers, split by whether the product existed.
 */
export class CatalogDatabase {
  readonly db = new Database(":memory:");
  presentQueries = 0;
  absentQueries = 0;
  private readonly select;
  private readonly insertOne;

  constructor(count: number) {
    this.db.exec(
      "CREATE TABLE products (id TEXT PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL)",
    );
    this.insertOne = this.db.prepare("INSERT INTO products (id, name, price_cents) VALUES (?, ?, ?)");
    this.select = this.db.prepare("SELECT id, name, price_cents AS priceCents FROM products WHERE id = ?");
    this.db.transaction(() => {
      for (let i = 1; i <= count; i++) this.insertOne.run(String(i), `product ${i}`, 100 * i);
    })();
  }

  get queries(): number {
    return this.presentQueries + this.absentQueries;
  }

  /** The loader the cache sits in front of. */
  readonly load = async (id: string): Promise<Product | null> => {
    const row = this.select.get(id) as Product | undefined;
    if (row === undefined) this.absentQueries++;
    else this.presentQueries++;
    return row ?? null;
  };

  insert(product: Product): void {
    this.insertOne.run(product.id, product.name, product.priceCents);
  }

  setPrice(id: string, priceCents: number): void {
    this.db.prepare("UPDATE products SET price_cents = ? WHERE id = ?").run(priceCents, id);
  }

  ids(): Iterable<string> {
    return this.db.prepare("SELECT id FROM products").pluck().iterate() as Iterable<string>;
  }

  resetCounts(): void {
    this.presentQueries = 0;
    this.absentQueries = 0;
  }

  close(): void {
    this.db.close();
  }
}

/** One real Redis for a test file, and the clients (one per simulated replica) opened on it. */
export class RedisFixture {
  private server: RealServer | undefined;
  private readonly clients: Redis[] = [];
  private adminClient: Redis | undefined;

  async start(): Promise<void> {
    this.server = await startRedis();
  }

  client(): Redis {
    if (this.server === undefined) throw new Error("RedisFixture.start() was not awaited");
    const client = new Redis({ host: this.server.host, port: this.server.port, maxRetriesPerRequest: 1 });
    this.clients.push(client);
    return client;
  }

  /** A client for the test itself: flushing, reading TTLs and bits. */
  get admin(): Redis {
    this.adminClient ??= this.client();
    return this.adminClient;
  }

  async flush(): Promise<void> {
    await this.admin.flushall();
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.quit()));
    this.adminClient = undefined;
    await this.server?.stop();
  }
}

/** The value of the agent's decision counter for one cache decision. */
export async function cacheDecisions(decision: string): Promise<number> {
  const metric = await registry.getSingleMetric("shakedown_defense_decisions_total")?.get();
  const found = metric?.values.find((v) => v.labels.defense === "cache" && v.labels.decision === decision);
  return found?.value ?? 0;
}

export const ALL_CACHE_SWITCHES = Object.values(CACHE_SWITCHES);

/**
 * Polls an async probe until it holds. The deadline only bounds a broken run; nothing is asserted about
 * how long the wait took.
 */
export async function until(
  what: string,
  probe: () => Promise<boolean>,
  deadlineMillis = 20_000,
): Promise<void> {
  const deadline = Date.now() + deadlineMillis;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${deadlineMillis} ms`);
    await sleep(10);
  }
}

/** The i-th item of a list repeated without end. */
export function cycle<T>(items: readonly T[], i: number): T {
  const item = items[i % items.length];
  if (item === undefined) throw new Error("cycle() needs a non-empty list");
  return item;
}
