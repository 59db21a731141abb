import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type OrderPlaced, Outbox, orderPlacedMessage } from "../../../fixtures/shop/outbox/index.js";

/**
 * A stand-in for the orders service's database in these tests: an `orders` table and the outbox, written
 * together as the service does. The real service's schema is its own; only the outbox part is under test.
 */
export interface OrdersDatabase {
  path: string;
  db: Database.Database;
  outbox: Outbox;
  /** Places `count` orders, each in its own transaction with its outbox row; returns them. */
  place(count: number, topic: string, prefix?: string): OrderPlaced[];
  orderCount(): number;
  close(): void;
}

let sequence = 0;

/** The `n`-th order of a test: total (n + 1) × 10.00, so its points are 10 × (n + 1). */
export function order(id: string, n: number): OrderPlaced {
  return {
    orderId: id,
    customerId: `customer-${n % 3}`,
    totalCents: (n + 1) * 1000,
    items: [{ productId: String((n % 5) + 1), quantity: n + 1, unitPriceCents: 1000 }],
    placedAt: new Date().toISOString(),
  };
}

export function openOrdersDatabase(): OrdersDatabase {
  const dir = mkdtempSync(join(tmpdir(), "shakedown-orders-"));
  const path = join(dir, "orders.db");
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.exec(
    "CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, total_cents INTEGER NOT NULL)",
  );
  const outbox = new Outbox(db);
  const insert = db.prepare("INSERT INTO orders (id, customer_id, total_cents) VALUES (?, ?, ?)");
  const placeOne = db.transaction((placed: OrderPlaced, topic: string) => {
    insert.run(placed.orderId, placed.customerId, placed.totalCents);
    outbox.append({ ...orderPlacedMessage(placed), topic });
  });
  return {
    path,
    db,
    outbox,
    place: (count, topic, prefix = `order-${++sequence}`) => {
      const placed: OrderPlaced[] = [];
      for (let n = 0; n < count; n++) {
        const o = order(`${prefix}-${n}`, n);
        placeOne(o, topic);
        placed.push(o);
      }
      return placed;
    },
    orderCount: () => (db.prepare("SELECT count(*) AS count FROM orders").get() as { count: number }).count,
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
