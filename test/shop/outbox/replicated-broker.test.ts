import { Admin } from "@platformatic/kafka";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KafkaPublisher, startRelay } from "../../../fixtures/shop/outbox/index.js";
import { eventually } from "../../agents/eventually.js";
import { createTopic, type KafkaCluster, readTopic, startKafka } from "../../helpers/kafka.js";
import { openOrdersDatabase } from "./orders.js";

let kafka: KafkaCluster;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  kafka = await startKafka({ brokers: 3 });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await kafka?.stop();
});

async function leaderOf(topic: string): Promise<number> {
  const admin = new Admin({ clientId: "test-leader", bootstrapBrokers: kafka.brokers });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    return metadata.topics.get(topic)?.partitions[0]?.leader ?? -1;
  } finally {
    await admin.close();
  }
}

describe("the relay on a 3-node Kafka (replication factor 3, min.insync.replicas 2)", () => {
  it("loses no acknowledged order when the partition leader is SIGKILLed mid-stream", async () => {
    const topic = "orders-replicated";
    await createTopic(kafka.bootstrap, topic, { partitions: 1, replicas: 3 });
    const orders = openOrdersDatabase();
    cleanups.push(() => orders.close());
    const placed = orders.place(400, topic);
    const producer = new KafkaPublisher({ bootstrapBrokers: kafka.brokers });
    const relay = startRelay({ db: orders.db, producer, topic, batchSize: 5, intervalMillis: 20 });
    cleanups.push(async () => {
      await Promise.all([relay.stop(), producer.close()]);
    });
    await eventually("some rows sent", () => (orders.outbox.unsentCount() <= 350 ? true : undefined));
    const leader = await leaderOf(topic);
    await kafka.killBroker(leader - 1);
    expect(orders.outbox.unsentCount()).toBeGreaterThan(0);

    await eventually("every row sent", () => (orders.outbox.unsentCount() === 0 ? true : undefined), 60_000);
    const bootstrap = kafka.brokers.find((_, i) => i !== leader - 1) ?? kafka.bootstrap;
    const keys = new Set((await readTopic(bootstrap, topic)).map((r) => r.key));
    for (const o of placed) expect(keys.has(o.orderId)).toBe(true);
  });
});
