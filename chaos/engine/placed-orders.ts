import { existsSync } from "node:fs";
import Database from "better-sqlite3";

/**
 * The orders the shop placed, read from each orders replica's SQLite file: the ground truth that ledger
 * effects and topic records are matched against.
 */
export interface PlacedOrder {
  /** The Idempotency-Key it was placed with: the flood's `{{key}}`, the checker's operation key. */
  readonly key: string;
  readonly placedAtMillis: number;
}

/** Runs `read` on a read-only connection; a file or table not created yet reads as `empty`. */
export function readOnly<T>(path: string, read: (db: Database.Database) => T, empty: T): T {
  if (!existsSync(path)) return empty;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 2000");
    return read(db);
  } catch (error) {
    if (/no such table/.test((error as Error).message)) return empty;
    throw error;
  } finally {
    db.close();
  }
}

/** Every order the replicas placed, by order id, and how many outbox rows are not yet sent. */
export function placedOrders(paths: readonly string[]): { orders: Map<string, PlacedOrder>; unsent: number } {
  const orders = new Map<string, PlacedOrder>();
  let unsent = 0;
  for (const path of paths) {
    const rows = readOnly(
      path,
      (db) =>
        db
          .prepare(
            `SELECT k.order_id AS orderId, k.key AS key, o.created_at AS placedAtMillis
             FROM idempotency_keys k JOIN orders o ON o.id = k.order_id`,
          )
          .all() as { orderId: string; key: string; placedAtMillis: number }[],
      [],
    );
    for (const row of rows) orders.set(row.orderId, { key: row.key, placedAtMillis: row.placedAtMillis });
    unsent += readOnly(
      path,
      (db) => (db.prepare("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL").get() as { n: number }).n,
      0,
    );
  }
  return { orders, unsent };
}

/** Whether any order was placed at or after `sinceMillis` (the method's start): a run of reads places none. */
export function placedSince(orders: ReadonlyMap<string, PlacedOrder>, sinceMillis: number): boolean {
  for (const order of orders.values()) if (order.placedAtMillis >= sinceMillis) return true;
  return false;
}
