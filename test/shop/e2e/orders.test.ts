import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Collector } from "../../../collector/collector.js";
import { type SessionResult, shopSession } from "../../../fixtures/shop/session.js";
import type { RunningShop } from "../../../fixtures/shop/topology/start.js";
import { awaitLedgerEffects, startTestShop, type TestShop } from "../../helpers/shop.js";

// biome-ignore lint/suspicious/noExplicitAny: API answers are checked field by field below.
type Json = any;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

describe("orders through the whole shop (default profile)", () => {
  let running: TestShop;
  let collector: Collector;
  let shop: RunningShop;
  let session: SessionResult;

  beforeAll(async () => {
    running = await startTestShop("default");
    ({ collector, shop } = running);
    session = await shopSession(shop.topology.gatewayUrls[0] as string, { orders: 8, browse: 10 });
  }, 240_000);

  afterAll(async () => {
    await running?.stop();
  });

  it("acknowledges every order of the session, and a retried Idempotency-Key gets the same order", () => {
    expect(session.failures).toEqual([]);
    expect(session.orderIds).toHaveLength(8);
    expect(new Set(session.orderIds).size).toBe(8);
    expect(session.replayedSameOrder).toBe(true);
  });

  it("gives every acknowledged order exactly one ledger effect, and nothing else", async () => {
    const effects = await awaitLedgerEffects(running.runDir, session.orderIds);
    expect([...effects.keys()].sort()).toEqual([...session.orderIds].sort());
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
  });

  it("records one trace per order running from the gateway through orders and inventory, over Kafka, to the ledger", async () => {
    const api = collector.urls.api;
    for (const orderId of session.orderIds) {
      let services: string[] = [];
      for (let attempt = 0; attempt < 40 && services.length < 4; attempt++) {
        const found: Json = await (
          await fetch(
            `${api}/api/traces?service=ledger&attr.messaging.kafka.message.key=${orderId}&start=now-1h`,
          )
        ).json();
        const traceId = found.traces[0]?.traceId;
        if (traceId !== undefined) {
          const trace: Json = await (await fetch(`${api}/api/traces/${traceId}`)).json();
          services = [...new Set<string>(trace.spans.map((s: Json) => s.service))];
        }
        if (!["gateway", "orders", "inventory", "ledger"].every((s) => services.includes(s)))
          await sleep(500);
      }
      expect(services).toEqual(expect.arrayContaining(["gateway", "orders", "inventory", "ledger"]));
    }
  });

  it("stores every node's output as logs, the JVM's and etcd's included", async () => {
    const found: Json = await (
      await fetch(`${collector.urls.api}/api/logs?service=kafka&limit=5&start=now-1h`)
    ).json();
    expect(found.logs.length).toBeGreaterThan(0);
  });
});
