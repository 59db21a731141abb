import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ackLossFault } from "../../../chaos/faults/network/ack-loss.js";
import { listTables } from "../../../chaos/faults/network/nftables.js";
import { HostNetwork, netnsUnavailableReason } from "../../../chaos/netns/network.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { OUTBOX_ATTEMPT_HEADER } from "../../../fixtures/shop/outbox/index.js";
import { createTopic, kafkaNodes, readTopic, waitForKafka } from "../../../fixtures/shop/topology/kafka.js";
import { eventually } from "../../agents/eventually.js";
import { openOrdersDatabase } from "../../shop/outbox/orders.js";
import { leftovers } from "./hosts.js";

const unavailable = await netnsUnavailableReason();
const signal = new AbortController().signal;
const ID = `al${randomBytes(3).toString("hex")}`;
const RELAY_SCRIPT = resolve(import.meta.dirname, "../../../dist/test/shop/outbox/relay-process.js");

// A real broker in a namespace of its own, and the outbox relay (dist/test/shop/outbox/relay-process.js) in
// another: the fault must make the Kafka client retry a batch the broker has already written.
describe.skipIf(unavailable !== null)("ack_loss between a real Kafka broker and the outbox relay", () => {
  let stateDir: string;
  let network: HostNetwork;
  let supervisor: Supervisor;
  let bootstrap: string;
  let topics = 0;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "shakedown-ack-loss-"));
    network = await HostNetwork.create(
      [
        { node: "kafka-1", role: "kafka", ports: { broker: 9092, controller: 9093 } },
        { node: "relay-1", role: "relay", ports: {} },
        { node: "relay-2", role: "relay", ports: {} },
      ],
      { stateDir, id: ID },
    );
    supervisor = new Supervisor();
    const broker = network.host("kafka-1");
    const [spec] = await kafkaNodes(join(stateDir, "nodes"), [
      { id: 1, host: broker.address, port: 9092, advertisedPort: 9092, controllerPort: 9093 },
    ]);
    await supervisor.start([{ ...(spec as NonNullable<typeof spec>), netns: broker.namespace }]);
    bootstrap = `${broker.address}:9092`;
    await waitForKafka(bootstrap);
  }, 120_000);

  afterAll(async () => {
    await supervisor?.stopAll();
    await network?.teardown();
    rmSync(stateDir, { recursive: true, force: true });
    expect(await leftovers([ID])).toEqual([]);
  });

  /**
   * Runs a relay in `node`, loses the broker's answer to the produce request of one order, and returns the
   * outbox attempt of each record of that order on the topic.
   */
  async function loseOneAck(node: string, idempotent: boolean): Promise<string[]> {
    const topic = `orders-ack-loss-${++topics}`;
    await createTopic(bootstrap, topic);
    const orders = openOrdersDatabase();
    const host = network.host(node);
    await supervisor.start([
      {
        name: node,
        role: "relay",
        command: process.execPath,
        args: [RELAY_SCRIPT],
        env: {
          OTEL_SDK_DISABLED: "true",
          SHAKEDOWN_OUTBOX_DB: orders.path,
          SHAKEDOWN_KAFKA_BOOTSTRAP: bootstrap,
          SHAKEDOWN_TOPIC: topic,
          SHAKEDOWN_IDEMPOTENT_PRODUCER: idempotent ? "on" : "off",
        },
        netns: host.namespace,
        ports: {},
        health: { description: "relay started", check: async () => true },
      },
    ]);
    try {
      // A first order connects the producer (and registers its producer id) before the fault.
      orders.place(1, topic, `${node}-warm`);
      await eventually(
        "the warm-up order sent",
        () => (orders.outbox.unsentCount() === 0 ? true : undefined),
        30_000,
      );
      const fault = ackLossFault({ stateDir });
      const injecting = fault.inject({ nodes: [node] }, { server: "kafka-1", holdMillis: 1500 }, signal);
      // Placed while the broker's answers are dropped: the relay polls every 50 ms and publishes it.
      await sleep(300);
      const [lost] = orders.place(1, topic, `${node}-lost`);
      const injection = await injecting;
      const verification = await fault.verify(injection);
      await fault.heal(injection);
      expect(await listTables(host.namespace)).toEqual([]);
      expect(verification.tookEffect).toBe(true);
      expect(verification.evidence).toMatch(
        new RegExp(
          `${node}: [1-9]\\d* packets from kafka-1:9092 dropped over 1500 ms, [1-9]\\d* connections aborted`,
        ),
      );
      await eventually(
        "the order sent",
        () => (orders.outbox.unsentCount() === 0 ? true : undefined),
        30_000,
      );
      return (await readTopic(bootstrap, topic))
        .filter((record) => record.key === lost?.orderId)
        .map((record) => record.headers[OUTBOX_ATTEMPT_HEADER] ?? "none");
    } finally {
      await supervisor.stop(node);
      orders.close();
    }
  }

  it("idempotent producer: the client retries the batch the broker wrote, and the broker keeps one copy", async () => {
    expect(await loseOneAck("relay-1", true)).toEqual(["1"]);
  }, 120_000);

  it("negative control: without idempotence the same lost answer puts the record on the topic twice, same outbox attempt", async () => {
    expect(await loseOneAck("relay-2", false)).toEqual(["1", "1"]);
  }, 120_000);
});
