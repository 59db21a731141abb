import { Admin } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shopSession } from "../../../fixtures/shop/session.js";
import type { RunningShop } from "../../../fixtures/shop/topology/start.js";
import { awaitLedgerEffects, startTestShop, type TestShop } from "../../helpers/shop.js";

/** The broker leading partition 0 of `orders`, as its node name. */
async function ordersLeader(bootstrap: string): Promise<string> {
  const admin = new Admin({ clientId: "shakedown-ha-test", bootstrapBrokers: [bootstrap] });
  try {
    const metadata = await admin.metadata({ topics: ["orders"], forceUpdate: true });
    const leader = metadata.topics.get("orders")?.partitions[0]?.leader;
    if (leader === undefined || leader < 0) throw new Error("partition 0 of orders has no leader");
    return `kafka-${leader}`;
  } finally {
    await admin.close();
  }
}

describe("the ha profile", () => {
  let running: TestShop;
  let shop: RunningShop;

  beforeAll(async () => {
    running = await startTestShop("ha");
    shop = running.shop;
  }, 300_000);

  afterAll(async () => {
    await running?.stop();
  });

  it("comes up with 3 etcd members, 3 Kafka brokers and 2 gateways, all healthy", () => {
    const roles = shop.supervisor.statuses().map((s) => s.role);
    expect(roles.filter((r) => r === "etcd")).toHaveLength(3);
    expect(roles.filter((r) => r === "kafka")).toHaveLength(3);
    expect(roles.filter((r) => r === "gateway")).toHaveLength(2);
    expect(shop.supervisor.statuses().every((s) => s.state === "healthy")).toBe(true);
  });

  it("loses no acknowledged order when the Kafka partition leader is killed", {
    timeout: 240_000,
  }, async () => {
    const [first, second] = shop.topology.gatewayUrls as [string, string];
    const before = await shopSession(first, { orders: 10, browse: 2 });
    const leader = await ordersLeader(shop.topology.kafkaBootstrap[0] as string);
    await shop.supervisor.stop(leader, "SIGKILL");
    const after = await shopSession(second, { orders: 10, browse: 2 });
    const acknowledged = [...before.orderIds, ...after.orderIds];
    expect(acknowledged).toHaveLength(20);

    const effects = await awaitLedgerEffects(running.runDir, acknowledged, 120);
    expect(acknowledged.filter((id) => !effects.has(id))).toEqual([]);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
  });
});
