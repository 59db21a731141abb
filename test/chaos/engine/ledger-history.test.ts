import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { exactlyOnce } from "../../../chaos/checkers/exactly-once.js";
import { ledgerHistory } from "../../../chaos/engine/ledger-history.js";
import { LedgerStore } from "../../../fixtures/shop/ledger/store.js";
import { Outbox } from "../../../fixtures/shop/outbox/outbox.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-ledger-history-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const METHOD_START = Date.now() - 10_000;

/** An orders replica's database with the tables the orders service keeps (services/orders.ts). */
function ordersDb(name: string): { path: string; place(id: string, key: string, createdAt: number): void } {
  const path = join(folder, `${name}.db`);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE orders (
     id TEXT PRIMARY KEY, user_id TEXT NOT NULL, items TEXT NOT NULL, total_cents INTEGER NOT NULL,
     status TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE idempotency_keys (
     user_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, order_id TEXT NOT NULL,
     PRIMARY KEY (user_id, key));`);
  const outbox = new Outbox(db);
  const place = db.transaction((id: string, key: string, createdAt: number) => {
    db.prepare("INSERT INTO orders VALUES (?, 'u-alice', '[]', 100, 'placed', ?)").run(id, createdAt);
    db.prepare("INSERT INTO idempotency_keys VALUES ('u-alice', ?, 'h', ?)").run(key, id);
    outbox.append({ topic: "orders", key: id, payload: {} });
    db.prepare("UPDATE outbox SET sent_at = 'now'").run();
  });
  return { path, place };
}

describe("the ledger's effects as history", () => {
  it("keys effects by Idempotency-Key, leaves earlier runs out, and waits for a late effect", async () => {
    const one = ordersDb("orders-1");
    const two = ordersDb("orders-2");
    const ledgerPath = join(folder, "ledger.db");
    const ledger = new LedgerStore(new Database(ledgerPath));
    const apply = (orderId: string, offset: number) =>
      ledger.apply(
        { orderId, customerId: "u-alice", points: 1 },
        { topic: "orders", partition: 0, offset: BigInt(offset) },
        false,
      );
    one.place("o-old", "k-old", METHOD_START - 5000);
    apply("o-old", 0);
    one.place("o-1", "k-1", METHOD_START + 100);
    two.place("o-2", "k-2", METHOD_START + 200);
    one.place("o-3", "k-3", METHOD_START + 300);
    apply("o-1", 1);
    apply("o-2", 2);
    apply("o-2", 3);
    apply("o-stranger", 4);
    // o-3 is applied only after the history started collecting: the collection waits for it.
    setTimeout(() => apply("o-3", 5), 400);

    const source = ledgerHistory(
      { ordersDbPaths: [one.path, two.path, join(folder, "never-created.db")], ledgerDbPath: ledgerPath },
      { pollMillis: 50 },
    );
    const history = await source.collect({
      methodStartMillis: METHOD_START,
      methodEndMillis: METHOD_START + 1000,
      faults: {},
    });
    expect([...(history.effects ?? [])].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: "k-1", count: 1 },
      { key: "k-2", count: 2 },
      { key: "k-3", count: 1 },
      { key: "order:o-stranger", count: 1 },
    ]);
    const operations = ["k-1", "k-2", "k-3"].flatMap((key) => [
      { type: "invoke" as const, key, timeMillis: METHOD_START },
      { type: "ok" as const, key, timeMillis: METHOD_START + 10 },
    ]);
    expect(exactlyOnce.check({ ...history, operations }, {})).toMatchObject({
      valid: false,
      duplicated: [{ key: "k-2", count: 2 }],
      unexpected: ["order:o-stranger"],
      lostCount: 0,
    });
  });

  it("gives up waiting once every outbox row is sent and no effect came for the quiet time", async () => {
    const orders = ordersDb("orders-quiet");
    orders.place("o-lost", "k-lost", METHOD_START + 100);
    const source = ledgerHistory(
      { ordersDbPaths: [orders.path], ledgerDbPath: join(folder, "no-ledger.db") },
      // Only the quiet rule can end this wait within the test's timeout.
      { pollMillis: 20, quietMillis: 200, settleMillis: 600_000 },
    );
    const history = await source.collect({
      methodStartMillis: METHOD_START,
      methodEndMillis: METHOD_START + 1000,
      faults: {},
    });
    expect(history.effects).toEqual([]);
  });
});
