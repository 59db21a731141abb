import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ledgerHistory } from "../../../chaos/engine/ledger-history.js";
import { LedgerStore } from "../../../fixtures/shop/ledger/index.js";
import { Outbox } from "../../../fixtures/shop/outbox/index.js";

const METHOD_START = Date.parse("2026-01-01T00:00:10Z");

/** An orders replica's database as fixtures/shop/services/orders.ts lays it out. */
function ordersDb(path: string, orders: { id: string; key: string; placedAtMillis: number }[]): void {
  const db = new Database(path);
  db.exec(`CREATE TABLE orders (id TEXT PRIMARY KEY, user_id TEXT, items TEXT, total_cents INTEGER,
             status TEXT, created_at INTEGER);
           CREATE TABLE idempotency_keys (user_id TEXT, key TEXT, request_hash TEXT, order_id TEXT,
             PRIMARY KEY (user_id, key));`);
  new Outbox(db);
  for (const order of orders) {
    db.prepare("INSERT INTO orders VALUES (?, 'u-alice', '[]', 100, 'placed', ?)").run(
      order.id,
      order.placedAtMillis,
    );
    db.prepare("INSERT INTO idempotency_keys VALUES ('u-alice', ?, 'h', ?)").run(order.key, order.id);
  }
  db.close();
}

/** A ledger database holding one effect, for `orderId`. */
function ledgerWithEffect(path: string, orderId: string): void {
  const db = new Database(path);
  new LedgerStore(db).apply(
    { orderId, customerId: "u-alice", points: 1 },
    { topic: "orders", partition: 0, offset: 0n },
    false,
  );
  db.close();
}

describe("ledger history", () => {
  it("keys the ledger's effects by the orders' Idempotency-Keys, leaves out earlier runs, and keeps strangers", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-history-"));
    ordersDb(join(dir, "orders-1.db"), [
      { id: "o-old", key: "k-old", placedAtMillis: METHOD_START - 5000 },
      { id: "o-1", key: "k-1", placedAtMillis: METHOD_START + 100 },
    ]);
    ordersDb(join(dir, "orders-2.db"), [{ id: "o-2", key: "k-2", placedAtMillis: METHOD_START + 200 }]);
    const ledgerDb = new Database(join(dir, "ledger.db"));
    const ledger = new LedgerStore(ledgerDb);
    let offset = 0n;
    const apply = (orderId: string) =>
      ledger.apply(
        { orderId, customerId: "u-alice", points: 1 },
        { topic: "orders", partition: 0, offset: offset++ },
        false,
      );
    for (const id of ["o-old", "o-1", "o-2", "o-2", "o-stranger"]) apply(id);
    ledgerDb.close();

    const history = await ledgerHistory(
      {
        ordersDbPaths: [join(dir, "orders-1.db"), join(dir, "orders-2.db")],
        ledgerDbPath: join(dir, "ledger.db"),
      },
      { quietMillis: 0, pollMillis: 10 },
    ).collect({ methodStartMillis: METHOD_START, methodEndMillis: METHOD_START + 1000, faults: {} });
    expect([...(history.effects ?? [])].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: "k-1", count: 1 },
      { key: "k-2", count: 2 },
      { key: "order:o-stranger", count: 1 },
    ]);
  });

  it("ends once the outbox is drained and the ledger's group has committed every record, without a quiet spell", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-history-"));
    ordersDb(join(dir, "orders-1.db"), [{ id: "o-1", key: "k-1", placedAtMillis: METHOD_START + 100 }]);
    ledgerWithEffect(join(dir, "ledger.db"), "o-1");
    // The group commits its last record on the fourth poll: the history waits for it, then for one poll more.
    const lags = [1, 1, 1, 0, 0];
    let polls = 0;
    const history = await ledgerHistory(
      { ordersDbPaths: [join(dir, "orders-1.db")], ledgerDbPath: join(dir, "ledger.db") },
      {
        quietMillis: 600_000,
        settleMillis: 600_000,
        pollMillis: 10,
        pendingRecords: async () => lags[polls++] ?? 0,
      },
    ).collect({ methodStartMillis: METHOD_START, methodEndMillis: METHOD_START + 1000, faults: {} });
    expect(polls).toBe(5);
    expect(history.effects).toEqual([{ key: "k-1", count: 1 }]);
  });

  it("returns without waiting when the run placed no order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-history-"));
    ordersDb(join(dir, "orders-1.db"), [{ id: "o-old", key: "k-old", placedAtMillis: METHOD_START - 5000 }]);
    ledgerWithEffect(join(dir, "ledger.db"), "o-old");

    // Waiting out either period would outlast the test's own timeout.
    const history = await ledgerHistory(
      { ordersDbPaths: [join(dir, "orders-1.db")], ledgerDbPath: join(dir, "ledger.db") },
      { quietMillis: 600_000, settleMillis: 600_000, pollMillis: 10 },
    ).collect({ methodStartMillis: METHOD_START, methodEndMillis: METHOD_START + 1000, faults: {} });
    expect(history.effects).toEqual([]);
  });
});
