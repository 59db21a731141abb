import { context, trace } from "@opentelemetry/api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  KafkaPublisher,
  OUTBOX_ATTEMPT_HEADER,
  OutboxTransactionError,
  orderPlacedMessage,
  parseOrderPlaced,
  publishInRequest,
  type Relay,
  startRelay,
} from "../../../fixtures/shop/outbox/index.js";
import { eventually } from "../../agents/eventually.js";
import { createTopic, type KafkaCluster, readTopic, startKafka } from "../../helpers/kafka.js";
import { type OrdersDatabase, openOrdersDatabase, order } from "./orders.js";
import { spawnScript } from "./processes.js";
import { captureSpans } from "./tracing.js";

let kafka: KafkaCluster;
let topics = 0;
const cleanups: (() => Promise<void> | void)[] = [];

async function freshTopic(partitions = 3): Promise<string> {
  const topic = `orders-relay-${++topics}`;
  await createTopic(kafka.bootstrap, topic, { partitions });
  return topic;
}

function ordersDatabase(): OrdersDatabase {
  const orders = openOrdersDatabase();
  cleanups.push(() => orders.close());
  return orders;
}

function relayInProcess(orders: OrdersDatabase, topic: string): Relay {
  const producer = new KafkaPublisher({ bootstrapBrokers: [kafka.bootstrap] });
  const relay = startRelay({ db: orders.db, producer, topic, batchSize: 10, intervalMillis: 20 });
  cleanups.push(async () => {
    await Promise.all([relay.stop(), producer.close()]);
  });
  return relay;
}

const keyCounts = (keys: string[]) => {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
};

beforeAll(async () => {
  kafka = await startKafka();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await kafka?.stop();
});

describe("the orders outbox", () => {
  it("commits the outbox row with the order, and a rolled-back order leaves neither", () => {
    const orders = ordersDatabase();
    orders.place(2, "orders");
    const failing = orders.db.transaction(() => {
      orders.db.prepare("INSERT INTO orders (id, customer_id, total_cents) VALUES ('x', 'c', 1)").run();
      orders.outbox.append({ topic: "orders", key: "x", payload: {} });
      throw new Error("payment declined");
    });
    expect(() => failing()).toThrow("payment declined");
    expect(orders.orderCount()).toBe(2);
    expect(orders.outbox.unsentCount()).toBe(2);
  });

  it("refuses an append outside a transaction, where the row could outlive a failed order", () => {
    const orders = ordersDatabase();
    expect(() => orders.outbox.append({ topic: "orders", key: "o-1", payload: {} })).toThrow(
      OutboxTransactionError,
    );
  });

  it("stores the W3C trace context of the active span in the row's headers", async () => {
    const tracing = captureSpans();
    try {
      const orders = ordersDatabase();
      const span = trace.getTracer("test").startSpan("POST /orders");
      context.with(trace.setSpan(context.active(), span), () => orders.place(1, "orders"));
      span.end();
      const [row] = orders.outbox.claim("orders", 10);
      const { traceId, spanId } = span.spanContext();
      expect(row?.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    } finally {
      await tracing.shutdown();
    }
  });
});

describe("the outbox relay", () => {
  it("publishes every order as one record keyed by its order id, and marks every row sent", async () => {
    const topic = await freshTopic();
    const orders = ordersDatabase();
    const placed = orders.place(25, topic);
    relayInProcess(orders, topic);
    await eventually("every outbox row marked sent", () =>
      orders.outbox.unsentCount() === 0 ? true : undefined,
    );
    const records = await readTopic(kafka.bootstrap, topic);
    expect(records).toHaveLength(25);
    expect([...keyCounts(records.map((r) => r.key)).values()].every((count) => count === 1)).toBe(true);
    expect(new Set(records.map((r) => r.key))).toEqual(new Set(placed.map((o) => o.orderId)));
    for (const record of records) {
      expect(parseOrderPlaced(record.value).orderId).toBe(record.key);
      expect(record.headers[OUTBOX_ATTEMPT_HEADER]).toBe("1");
    }
  });

  it("publishes an order placed after it started, on notify", async () => {
    const topic = await freshTopic(1);
    const orders = ordersDatabase();
    const relay = relayInProcess(orders, topic);
    orders.place(1, topic);
    relay.notify();
    await eventually("the row marked sent", () => (orders.outbox.unsentCount() === 0 ? true : undefined));
    expect(await readTopic(kafka.bootstrap, topic)).toHaveLength(1);
  });

  it("publishes a batch again when its relay was SIGKILLed after the broker's ack and before marking it sent", async () => {
    const topic = await freshTopic();
    const orders = ordersDatabase();
    const placed = orders.place(12, topic);
    const env = {
      SHAKEDOWN_OUTBOX_DB: orders.path,
      SHAKEDOWN_KAFKA_BOOTSTRAP: kafka.bootstrap,
      SHAKEDOWN_TOPIC: topic,
      SHAKEDOWN_RELAY_BATCH_SIZE: "5",
    };
    const crashing = spawnScript("outbox/relay-process", {
      ...env,
      SHAKEDOWN_RELAY_CRASH_AFTER_BATCHES: "1",
    });
    cleanups.push(() => crashing.kill());
    expect(await crashing.exit()).toEqual({ code: null, signal: "SIGKILL" });
    // The broker holds the first batch, but the outbox still lists it as unsent.
    expect(await readTopic(kafka.bootstrap, topic)).toHaveLength(5);
    expect(orders.outbox.unsentCount()).toBe(12);

    const restarted = spawnScript("outbox/relay-process", env);
    cleanups.push(() => restarted.stop());
    await eventually(
      "every row marked sent",
      () => (orders.outbox.unsentCount() === 0 ? true : undefined),
      30_000,
    );
    const records = await readTopic(kafka.bootstrap, topic);
    const counts = keyCounts(records.map((r) => r.key));
    const firstBatch = placed.slice(0, 5).map((o) => o.orderId);
    expect(records).toHaveLength(17);
    for (const o of placed) expect(counts.get(o.orderId)).toBe(firstBatch.includes(o.orderId) ? 2 : 1);
    // The copy the crashed relay published is attempt 1, the restarted relay's is attempt 2.
    for (const id of firstBatch) {
      const attempts = records.filter((r) => r.key === id).map((r) => r.headers[OUTBOX_ATTEMPT_HEADER]);
      expect(attempts.sort()).toEqual(["1", "2"]);
    }
    await eventually("the retried decisions logged", () =>
      restarted.lines().filter((l) => l.msg === "outbox: retried").length === 5 ? true : undefined,
    );
  });
});

describe("publishing within the request (outbox.transactional_outbox off)", () => {
  it("writes the message once, as attempt 1, with the request's trace context, before it resolves", async () => {
    const topic = await freshTopic(1);
    const producer = new KafkaPublisher({ bootstrapBrokers: [kafka.bootstrap] });
    cleanups.push(() => producer.close());
    const tracing = captureSpans();
    try {
      const span = trace.getTracer("test").startSpan("POST /orders");
      const placed = order("in-request", 1);
      await context.with(trace.setSpan(context.active(), span), () =>
        publishInRequest(producer, { ...orderPlacedMessage(placed), topic }),
      );
      span.end();
      const records = await readTopic(kafka.bootstrap, topic);
      expect(records.map((r) => [r.key, r.headers[OUTBOX_ATTEMPT_HEADER]])).toEqual([[placed.orderId, "1"]]);
      const { traceId, spanId } = span.spanContext();
      expect(records[0]?.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    } finally {
      await tracing.shutdown();
    }
  });

  it("fails when no broker takes the message, where the outbox would have kept it for the relay", async () => {
    const producer = new KafkaPublisher({ bootstrapBrokers: ["127.0.0.1:1"], retries: 0 });
    cleanups.push(() => producer.close());
    await expect(publishInRequest(producer, orderPlacedMessage(order("no-broker", 1)))).rejects.toThrow();
  });
});
