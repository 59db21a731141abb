import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin } from "@platformatic/kafka";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../../collector/collector.js";
import { shopSession } from "../../../fixtures/shop/session.js";
import { type RunningShop, startShop } from "../../../fixtures/shop/topology/start.js";

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

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
  let collector: Collector;
  let shop: RunningShop;
  let runDir: string;

  beforeAll(async () => {
    runDir = mkdtempSync(join(tmpdir(), "shakedown-ha-"));
    collector = await startCollector({
      ...DEFAULT_COLLECTOR_OPTIONS,
      dbPath: join(runDir, "collector.db"),
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      apiPort: 0,
    });
    shop = await startShop({ profile: "ha", collector, runDir, gatewayPort: 0 });
  }, 300_000);

  afterAll(async () => {
    await shop?.stop();
    await collector?.close();
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

    let effects = new Map<string, number>();
    for (let attempt = 0; attempt < 120 && effects.size < acknowledged.length; attempt++) {
      const db = new Database(join(runDir, "nodes", "ledger.db"), { readonly: true });
      try {
        const rows = db
          .prepare("SELECT order_id AS id, count(*) AS n FROM points GROUP BY order_id")
          .all() as {
          id: string;
          n: number;
        }[];
        effects = new Map(rows.map((r) => [r.id, r.n]));
      } finally {
        db.close();
      }
      if (effects.size < acknowledged.length) await sleep(500);
    }
    expect(acknowledged.filter((id) => !effects.has(id))).toEqual([]);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
  });
});
