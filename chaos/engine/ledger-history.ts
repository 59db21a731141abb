import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import type { Effect, History } from "../checkers/types.js";
import type { RunTimes } from "../experiment/windows.js";
import type { HistorySource } from "../timeline/engine.js";

/** Where the shop keeps the ground truth of orders: each orders replica's SQLite, and the shared ledger's. */
export interface LedgerFiles {
  readonly ordersDbPaths: readonly string[];
  readonly ledgerDbPath: string;
}

export interface LedgerHistoryOptions {
  /** How long to wait at most for the ledger to apply every order of the run. Default 20 s. */
  readonly settleMillis?: number;
  /** Once every outbox row is sent, how long without a new effect ends the wait early. Default 3 s. */
  readonly quietMillis?: number;
  readonly pollMillis?: number;
}

interface OrdersSnapshot {
  /** Order id → the idempotency key it was placed with, and whether it was placed since the method began. */
  readonly orders: Map<string, { key: string; thisRun: boolean }>;
  readonly unsent: number;
}

interface LedgerRow {
  readonly order_id: string;
  readonly effects: number;
  readonly first_applied: string;
}

function readOnly<T>(path: string, read: (db: Database.Database) => T, empty: T): T {
  if (!existsSync(path)) return empty;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 2000");
    return read(db);
  } catch (error) {
    // A replica that has not created its tables yet has nothing to tell.
    if (/no such table/.test((error as Error).message)) return empty;
    throw error;
  } finally {
    db.close();
  }
}

function ordersSnapshot(paths: readonly string[], sinceMillis: number): OrdersSnapshot {
  const orders = new Map<string, { key: string; thisRun: boolean }>();
  let unsent = 0;
  for (const path of paths) {
    const rows = readOnly(
      path,
      (db) =>
        db
          .prepare(
            `SELECT k.order_id AS orderId, k.key AS key, o.created_at AS createdAt
             FROM idempotency_keys k JOIN orders o ON o.id = k.order_id`,
          )
          .all() as { orderId: string; key: string; createdAt: number }[],
      [],
    );
    for (const row of rows) {
      orders.set(row.orderId, { key: row.key, thisRun: row.createdAt >= sinceMillis });
    }
    unsent += readOnly(
      path,
      (db) => (db.prepare("SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL").get() as { n: number }).n,
      0,
    );
  }
  return { orders, unsent };
}

function ledgerRows(path: string): LedgerRow[] {
  return readOnly(
    path,
    (db) =>
      db
        .prepare(
          "SELECT order_id, count(*) AS effects, min(applied_at) AS first_applied FROM points GROUP BY order_id",
        )
        .all() as LedgerRow[],
    [],
  );
}

/**
 * The ledger's effects as `exactly_once` reads them: keyed by the Idempotency-Key each order was placed
 * with (the flood's key), found through the orders replicas' idempotency records. Orders placed before the
 * method started belong to earlier runs and are left out; a ledger row for an order no replica placed,
 * applied since the method started, is kept under `order:<id>`, so the checker calls it unexpected.
 *
 * The ledger applies orders asynchronously (outbox → Kafka → consumer), so it first waits, bounded, until
 * every order of the run has an effect, or every outbox row is sent and no effect has appeared for a while.
 */
export function ledgerHistory(files: LedgerFiles, options: LedgerHistoryOptions = {}): HistorySource {
  const settleMillis = options.settleMillis ?? 20_000;
  const quietMillis = options.quietMillis ?? 3000;
  const pollMillis = options.pollMillis ?? 250;
  return {
    async collect(times: RunTimes): Promise<History> {
      const since = new Date(times.methodStartMillis).toISOString();
      const deadline = Date.now() + settleMillis;
      let lastCount = -1;
      let lastChangeMillis = Date.now();
      for (;;) {
        const { orders, unsent } = ordersSnapshot(files.ordersDbPaths, times.methodStartMillis);
        const rows = ledgerRows(files.ledgerDbPath);
        const applied = new Set(rows.map((row) => row.order_id));
        const count = rows.reduce((sum, row) => sum + row.effects, 0);
        if (count !== lastCount) {
          lastCount = count;
          lastChangeMillis = Date.now();
        }
        const caughtUp = [...orders].every(([id, order]) => !order.thisRun || applied.has(id));
        const quiet = unsent === 0 && Date.now() - lastChangeMillis >= quietMillis;
        if (caughtUp || quiet || Date.now() >= deadline) {
          const effects: Effect[] = rows.flatMap((row) => {
            const order = orders.get(row.order_id);
            if (order !== undefined) return order.thisRun ? [{ key: order.key, count: row.effects }] : [];
            return row.first_applied >= since ? [{ key: `order:${row.order_id}`, count: row.effects }] : [];
          });
          return { effects };
        }
        await sleep(pollMillis);
      }
    },
  };
}
