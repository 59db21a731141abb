import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import { freePort } from "../../../chaos/ports.js";
import { KafkaPublisher, OUTBOX_SWITCHES, startRelay } from "../../../fixtures/shop/outbox/index.js";
import { eventually } from "../../agents/eventually.js";
import { createTopic, type KafkaCluster, readTopic, startKafka } from "../../helpers/kafka.js";
import { type AckLossProxy, startAckLossProxy } from "./ack-loss-proxy.js";
import { openOrdersDatabase } from "./orders.js";

// Every client reaches the broker through the proxy: the broker advertises the proxy's port in its metadata.
let proxy: AckLossProxy;
let kafka: KafkaCluster;
let topics = 0;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  const [listen, advertised] = [await freePort(), await freePort()];
  proxy = await startAckLossProxy(advertised, listen);
  kafka = await startKafka({ ports: [{ listen, advertised }] });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await kafka?.stop();
  await proxy?.close();
});

/** Places one order, loses the broker's acknowledgement of its first publish, and returns the topic's keys. */
async function publishWithLostAck(idempotent: boolean): Promise<{ keys: string[]; orderId: string }> {
  const topic = `orders-ack-loss-${++topics}`;
  await createTopic(kafka.bootstrap, topic);
  const orders = openOrdersDatabase();
  cleanups.push(() => orders.close());
  const [placed] = orders.place(1, topic);
  const switches = new SwitchBoard();
  switches.define(OUTBOX_SWITCHES.idempotentProducer).set(idempotent);
  const producer = new KafkaPublisher({ bootstrapBrokers: [kafka.bootstrap], switches });
  const droppedBefore = proxy.dropped;
  proxy.dropProduceResponses(1);
  const relay = startRelay({ db: orders.db, producer, topic, intervalMillis: 20 });
  cleanups.push(async () => {
    await Promise.all([relay.stop(), producer.close()]);
  });
  await eventually(
    "the row marked sent",
    () => (orders.outbox.unsentCount() === 0 ? true : undefined),
    30_000,
  );
  expect(proxy.dropped - droppedBefore).toBe(1);
  const records = await readTopic(kafka.bootstrap, topic);
  return { keys: records.map((r) => r.key), orderId: placed?.orderId ?? "" };
}

describe("the relay's idempotent producer", () => {
  it("retries a batch whose acknowledgement was lost, and the broker writes it once", async () => {
    const { keys, orderId } = await publishWithLostAck(true);
    expect(keys).toEqual([orderId]);
  });

  it("negative control: with kafka.idempotent_producer off, the same lost acknowledgement writes the record twice", async () => {
    const { keys, orderId } = await publishWithLostAck(false);
    expect(keys).toEqual([orderId, orderId]);
  });
});
