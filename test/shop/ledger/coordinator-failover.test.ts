import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Consumer } from "@platformatic/kafka";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LedgerStore, startLedger } from "../../../fixtures/shop/ledger/index.js";
import { KafkaPublisher, type OrderPlaced } from "../../../fixtures/shop/outbox/index.js";
import { eventually } from "../../agents/eventually.js";
import { createTopic, endOffsets, type KafkaCluster, startKafka } from "../../helpers/kafka.js";
import { order } from "../outbox/orders.js";

let kafka: KafkaCluster;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  kafka = await startKafka({ brokers: 3 });
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await kafka?.stop();
});

/** The node id of the broker coordinating `groupId`, as a fresh client finds it. */
async function coordinatorOf(groupId: string, bootstrapBrokers: string[]): Promise<number> {
  const probe = new Consumer({ clientId: "test-coordinator", groupId, bootstrapBrokers });
  try {
    return await probe.findGroupCoordinator();
  } finally {
    await probe.close();
  }
}

/** Publishes as the relay does, trying again (bounded) while a dead broker's partitions elect new leaders. */
async function publish(bootstrapBrokers: string[], topic: string, placed: OrderPlaced[]): Promise<void> {
  const producer = new KafkaPublisher({ bootstrapBrokers });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.publish(
          placed.map((o) => ({ topic, key: o.orderId, value: JSON.stringify(o), headers: {} })),
        );
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(500);
      }
    }
  } finally {
    await producer.close();
  }
}

describe("the ledger on a 3-node Kafka when its group coordinator dies", () => {
  it("keeps applying orders: its members find the new coordinator instead of asking the dead one", async () => {
    const topic = "orders-coordinator";
    const groupId = "ledger-coordinator";
    await createTopic(kafka.bootstrap, topic, { partitions: 4, replicas: 3 });
    const dir = mkdtempSync(join(tmpdir(), "shakedown-ledger-coordinator-"));
    const dbPath = join(dir, "ledger.db");
    const storeDb = new Database(dbPath);
    const store = new LedgerStore(storeDb);
    cleanups.push(() => {
      storeDb.close();
      rmSync(dir, { recursive: true, force: true });
    });
    for (let member = 0; member < 2; member++) {
      const db = new Database(dbPath);
      db.pragma("journal_mode = WAL");
      db.pragma("busy_timeout = 5000");
      const ledger = await startLedger({
        db,
        bootstrapBrokers: kafka.brokers,
        topic,
        groupId,
        clientId: `ledger-${member}`,
        sessionTimeoutMillis: 3000,
        heartbeatIntervalMillis: 500,
        maxWaitMillis: 200,
      });
      cleanups.push(async () => {
        await ledger.close();
        db.close();
      });
    }
    const before = Array.from({ length: 100 }, (_, n) => order(`before-${n}`, n));
    await publish(kafka.brokers, topic, before);
    await eventually("the orders before the kill applied", () =>
      store.effectsByOrder().size === before.length ? true : undefined,
    );

    const coordinator = await coordinatorOf(groupId, kafka.brokers);
    await kafka.killBroker(coordinator - 1);
    const alive = kafka.brokers.filter((_, i) => i !== coordinator - 1);
    const after = Array.from({ length: 100 }, (_, n) => order(`after-${n}`, 100 + n));
    await publish(alive, topic, after);

    const ends = await endOffsets(alive[0] as string, topic);
    await eventually(
      `${topic} consumed to ${ends.join(",")} with broker ${coordinator} down`,
      () => {
        const positions = store.positions(topic);
        return ends.every((end, partition) => (positions.get(partition) ?? 0n) >= end) ? true : undefined;
      },
      60_000,
    );
    const effects = store.effectsByOrder();
    for (const o of [...before, ...after]) expect(effects.get(o.orderId)).toBe(1);
  });
});
