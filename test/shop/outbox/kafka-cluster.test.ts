import { Producer, stringSerializers } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopic, type KafkaCluster, readTopic, startKafka } from "../../helpers/kafka.js";

describe("a real single-node Kafka for tests", () => {
  let kafka: KafkaCluster;
  beforeAll(async () => {
    kafka = await startKafka();
  });
  afterAll(async () => {
    await kafka?.stop();
  });

  it("stores what an idempotent producer sends and reads it back in order", async () => {
    await createTopic(kafka.bootstrap, "greetings", { partitions: 2 });
    const producer = new Producer({
      clientId: "test",
      bootstrapBrokers: [kafka.bootstrap],
      serializers: stringSerializers,
      idempotent: true,
    });
    try {
      for (let i = 0; i < 5; i++) {
        await producer.send({
          messages: [{ topic: "greetings", key: `k${i}`, value: `v${i}`, headers: { h: "x" } }],
        });
      }
    } finally {
      await producer.close();
    }
    const records = await readTopic(kafka.bootstrap, "greetings");
    expect(records.map((r) => r.key).sort()).toEqual(["k0", "k1", "k2", "k3", "k4"]);
    expect(records.every((r) => r.headers.h === "x")).toBe(true);
  });

  it("stops every node by its PID", async () => {
    const pids = kafka.pids;
    await kafka.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
