import { setTimeout as sleep } from "node:timers/promises";
import type { Effect, History } from "../checkers/types.js";
import type { RunTimes } from "../experiment/windows.js";
import type { HistorySource } from "../timeline/engine.js";
import { placedOrders, placedSince, readOnly } from "./placed-orders.js";

/** Where the shop keeps the ground truth of orders: each orders replica's SQLite file, and the ledger's shared one. */
export interface LedgerFiles {
  readonly ordersDbPaths: readonly string[];
  readonly ledgerDbPath: string;
}

export interface LedgerHistoryOptions {
  /**
   * How many records on the topic the ledger's group has not yet committed (`consumerGroupLag`). Once every outbox
   * row is sent and this is 0 on two polls in a row, every effect the run will cause has been applied:
   * the ledger commits an offset only after the effect's transaction, and a record replayed after a crash
   * stays uncommitted until it is applied again. Without it, or while it cannot be read, quiet spells decide.
   */
  readonly pendingRecords?: () => Promise<number>;
  /** The longest wait for the ledger to apply the run's orders. Default 30 s. */
  readonly settleMillis?: number;
  /** With every outbox row sent, this long without a new effect ends the wait. Default 3 s. */
  readonly quietMillis?: number;
  readonly pollMillis?: number;
}

interface LedgerRow {
  readonly orderId: string;
  readonly effects: number;
  readonly firstAppliedAt: string;
}

function ledgerRows(path: string): LedgerRow[] {
  return readOnly(
    path,
    (db) =>
      db
        .prepare(
          `SELECT order_id AS orderId, count(*) AS effects, min(applied_at) AS firstAppliedAt
           FROM points GROUP BY order_id`,
        )
        .all() as LedgerRow[],
    [],
  );
}

/** The group's lag, or null when it cannot be measured now (a broker restarting): quiet spells decide then. */
async function pendingRecords(measure: (() => Promise<number>) | undefined): Promise<number | null> {
  if (measure === undefined) return null;
  try {
    return await measure();
  } catch {
    return null;
  }
}

/**
 * The ledger's effects as `exactly_once` reads them: per Idempotency-Key (the flood's key), found through the
 * orders replicas' idempotency records, since the ledger knows only order ids. Orders placed before the
 * method started belong to an earlier run (the experiment before its negative control) and are left out.
 * An effect for an order no replica placed, applied since the method started, is kept as `order:<id>`, so
 * the checker reports it as unexpected.
 *
 * The chain outbox → Kafka → ledger is asynchronous, so it first waits (bounded) until the outbox is drained
 * and the ledger's group has committed every record, or else until no effect has appeared for `quietMillis`;
 * a run that placed no order returns at once.
 */
export function ledgerHistory(files: LedgerFiles, options: LedgerHistoryOptions = {}): HistorySource {
  const settleMillis = options.settleMillis ?? 30_000;
  const quietMillis = options.quietMillis ?? 3000;
  const pollMillis = options.pollMillis ?? 250;
  return {
    async collect(times: RunTimes): Promise<History> {
      const since = new Date(times.methodStartMillis).toISOString();
      const deadline = Date.now() + settleMillis;
      let lastTotal = -1;
      let lastChangeMillis = Date.now();
      let committedPolls = 0;
      for (;;) {
        const { orders, unsent } = placedOrders(files.ordersDbPaths);
        // Read before the effects: an effect is in the database before its offset is committed. Measured
        // once the outbox is drained; null when it could not be measured.
        const pending = unsent === 0 ? await pendingRecords(options.pendingRecords) : undefined;
        const lagUnknown = options.pendingRecords === undefined || pending === null;
        const rows = ledgerRows(files.ledgerDbPath);
        const total = rows.reduce((sum, row) => sum + row.effects, 0);
        const changed = total !== lastTotal;
        if (changed) {
          lastTotal = total;
          lastChangeMillis = Date.now();
        }
        const applied = new Set(rows.map((row) => row.orderId));
        const caughtUp = [...orders].every(
          ([id, order]) => order.placedAtMillis < times.methodStartMillis || applied.has(id),
        );
        const quiet = unsent === 0 && Date.now() - lastChangeMillis >= quietMillis;
        committedPolls = pending === 0 ? (changed ? 1 : committedPolls + 1) : 0;
        // A run that placed no order (a flood of reads) has no effect to wait for.
        const noOrders = unsent === 0 && !placedSince(orders, times.methodStartMillis);
        // Without the lag, caught up still waits out one quiet spell: a duplicate arrives after the first effect.
        const quietEnough = (caughtUp && Date.now() - lastChangeMillis >= quietMillis) || quiet;
        if (noOrders || committedPolls >= 2 || (lagUnknown && quietEnough) || Date.now() >= deadline) {
          const effects: Effect[] = rows.flatMap((row): Effect[] => {
            const order = orders.get(row.orderId);
            if (order !== undefined) {
              return order.placedAtMillis >= times.methodStartMillis
                ? [{ key: order.key, count: row.effects }]
                : [];
            }
            return row.firstAppliedAt >= since ? [{ key: `order:${row.orderId}`, count: row.effects }] : [];
          });
          return { effects };
        }
        await sleep(pollMillis);
      }
    },
  };
}
