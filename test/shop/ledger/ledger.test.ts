import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { context, SpanKind, trace } from "@opentelemetry/api";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { registry, SwitchBoard } from "../../../agents/index.js";
import { LEDGER_SWITCHES, LedgerStore, startLedger } from "../../../fixtures/shop/ledger/index.js";
import { KafkaPublisher, type OrderPlaced, startRelay } from "../../../fixtures/shop/outbox/index.js";
import { consumerGroupLag } from "../../../fixtures/shop/topology/kafka.js";
import { eventually } from "../../agents/eventually.js";
import { createTopic, endOffsets, type KafkaCluster, readTopic, startKafka } from "../../helpers/kafka.js";
import { openOrdersDatabase, order } from "../outbox/orders.js";
import { type ScriptProcess, spawnScript } from "../outbox/processes.js";
import { captureSpans } from "../outbox/tracing.js";

let kafka: KafkaCluster;
let scenarios = 0;
const cleanups: (() => Promise<void> | void)[] = [];

interface Scenario {
  topic: string;
  group: string;
  /** The ledger database every member of the scenario's group shares. */
  dbPath: string;
  /** The test's own connection to that database, to read what the members did. */
  store: LedgerStore;
}

async function scenario(partitions = 3): Promise<Scenario> {
  const n = ++scenarios;
  const topic = `orders-ledger-${n}`;
  await createTopic(kafka.bootstrap, topic, { partitions });
  const dir = mkdtempSync(join(tmpdir(), "shakedown-ledger-"));
  const dbPath = join(dir, "ledger.db");
  const db = new Database(dbPath);
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { topic, group: `ledger-${n}`, dbPath, store: new LedgerStore(db) };
}

function orders(count: number, prefix: string): OrderPlaced[] {
  return Array.from({ length: count }, (_, n) => order(`${prefix}-${n}`, n));
}

/** Publishes as the relay does: key = order id, value = the OrderPlaced JSON. */
async function publish(topic: string, placed: OrderPlaced[]): Promise<void> {
  const producer = new KafkaPublisher({ bootstrapBrokers: [kafka.bootstrap] });
  try {
    for (let i = 0; i < placed.length; i += 200) {
      const batch = placed.slice(i, i + 200);
      await producer.publish(
        batch.map((o) => ({ topic, key: o.orderId, value: JSON.stringify(o), headers: {} })),
      );
    }
  } finally {
    await producer.close();
  }
}

async function ledgerInProcess(s: Scenario, { dedup = true } = {}) {
  const switches = new SwitchBoard();
  switches.define(LEDGER_SWITCHES.dedup).set(dedup);
  const db = new Database(s.dbPath);
  const ledger = await startLedger({
    db,
    bootstrapBrokers: [kafka.bootstrap],
    topic: s.topic,
    groupId: s.group,
    sessionTimeoutMillis: 3000,
    heartbeatIntervalMillis: 500,
    maxWaitMillis: 200,
    switches,
  });
  cleanups.push(async () => {
    await ledger.close();
    db.close();
  });
  return ledger;
}

function ledgerProcess(s: Scenario, env: Record<string, string> = {}): ScriptProcess {
  const member = spawnScript("ledger/ledger-process", {
    SHAKEDOWN_LEDGER_DB: s.dbPath,
    SHAKEDOWN_KAFKA_BOOTSTRAP: kafka.bootstrap,
    SHAKEDOWN_TOPIC: s.topic,
    SHAKEDOWN_GROUP: s.group,
    ...env,
  });
  cleanups.push(() => member.kill());
  return member;
}

/** Waits until the group's stored positions reach the end of every partition: every record was handled. */
async function consumedAll(s: Scenario, deadlineMillis = 60_000): Promise<void> {
  const ends = await endOffsets(kafka.bootstrap, s.topic);
  await eventually(
    `${s.topic} consumed to ${ends.join(",")}`,
    () => {
      const positions = s.store.positions(s.topic);
      return ends.every((end, partition) => (positions.get(partition) ?? 0n) >= end) ? true : undefined;
    },
    deadlineMillis,
  );
}

const effectCount = (s: Scenario) => [...s.store.effectsByOrder().values()].reduce((sum, n) => sum + n, 0);

async function decisions(decision: string): Promise<number> {
  const metric = await registry.getSingleMetric("shakedown_defense_decisions_total")?.get();
  const found = metric?.values.find((v) => v.labels.defense === "ledger" && v.labels.decision === decision);
  return Number(found?.value ?? 0);
}

beforeAll(async () => {
  kafka = await startKafka();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await kafka?.stop();
});

describe("the ledger's exactly-once effects", () => {
  it("applies one loyalty effect per order written through the outbox and the relay", async () => {
    const s = await scenario();
    const ordersDb = openOrdersDatabase();
    cleanups.push(() => ordersDb.close());
    const placed = ordersDb.place(30, s.topic);
    const producer = new KafkaPublisher({ bootstrapBrokers: [kafka.bootstrap] });
    const relay = startRelay({ db: ordersDb.db, producer, topic: s.topic, intervalMillis: 20 });
    cleanups.push(async () => {
      await Promise.all([relay.stop(), producer.close()]);
    });
    await eventually("every outbox row sent", () => (ordersDb.outbox.unsentCount() === 0 ? true : undefined));
    const records = await readTopic(kafka.bootstrap, s.topic);
    expect(records).toHaveLength(30);
    expect(new Set(records.map((r) => r.key)).size).toBe(30);

    await ledgerInProcess(s);
    await consumedAll(s);
    const effects = s.store.effectsByOrder();
    expect(effects.size).toBe(30);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
    const expectedPoints = placed.reduce((sum, o) => sum + Math.floor(o.totalCents / 100), 0);
    expect([...s.store.balances().values()].reduce((a, b) => a + b, 0)).toBe(expectedPoints);
  });

  it("suppresses the second copy of an order the relay published twice, and counts it", async () => {
    const s = await scenario();
    const placed = orders(10, `dup-${s.topic}`);
    await publish(s.topic, placed);
    await publish(s.topic, placed.slice(0, 4));
    const before = await decisions("duplicate_suppressed");

    await ledgerInProcess(s);
    await consumedAll(s);
    expect(effectCount(s)).toBe(10);
    expect([...s.store.effectsByOrder().values()].every((n) => n === 1)).toBe(true);
    expect((await decisions("duplicate_suppressed")) - before).toBe(4);
  });

  it("negative control: with ledger.dedup off, an order published twice is applied twice", async () => {
    const s = await scenario();
    const placed = orders(10, `dup-off-${s.topic}`);
    await publish(s.topic, placed);
    await publish(s.topic, placed.slice(0, 4));

    await ledgerInProcess(s, { dedup: false });
    await consumedAll(s);
    expect(effectCount(s)).toBe(14);
    const effects = s.store.effectsByOrder();
    for (const o of placed.slice(0, 4)) expect(effects.get(o.orderId)).toBe(2);
  });

  it("moves past a record that is not an order without an effect, and counts it", async () => {
    const s = await scenario(1);
    const producer = new KafkaPublisher({ bootstrapBrokers: [kafka.bootstrap] });
    await producer.publish([{ topic: s.topic, key: "junk", value: "{not json", headers: {} }]);
    await producer.close();
    await publish(s.topic, orders(3, `after-junk-${s.topic}`));
    const before = await decisions("malformed");

    await ledgerInProcess(s);
    await consumedAll(s);
    expect(effectCount(s)).toBe(3);
    expect((await decisions("malformed")) - before).toBe(1);
  });

  it("continues the order's trace: the ledger's process span is a child of the span that placed the order", async () => {
    const tracing = captureSpans();
    try {
      const s = await scenario(1);
      const ordersDb = openOrdersDatabase();
      cleanups.push(() => ordersDb.close());
      const placing = trace.getTracer("test").startSpan("POST /orders", { kind: SpanKind.SERVER });
      context.with(trace.setSpan(context.active(), placing), () => ordersDb.place(1, s.topic));
      placing.end();
      const producer = new KafkaPublisher({ bootstrapBrokers: [kafka.bootstrap] });
      const relay = startRelay({ db: ordersDb.db, producer, topic: s.topic, intervalMillis: 20 });
      cleanups.push(async () => {
        await Promise.all([relay.stop(), producer.close()]);
      });
      await ledgerInProcess(s);
      await consumedAll(s);

      const spans = tracing.spans();
      const processSpan = await eventually("the process span", () =>
        tracing.spans().find((span) => span.name === `process ${s.topic}`),
      );
      expect(processSpan.kind).toBe(SpanKind.CONSUMER);
      expect(processSpan.spanContext().traceId).toBe(placing.spanContext().traceId);
      expect(processSpan.parentSpanContext?.spanId).toBe(placing.spanContext().spanId);
      expect(processSpan.events.map((e) => e.name)).toContain("shakedown.defense.decision");
      const sendSpan = spans.find((span) => span.name === `send ${s.topic}`);
      expect(sendSpan?.links.map((l) => l.context.spanId)).toContain(placing.spanContext().spanId);
    } finally {
      await tracing.shutdown();
    }
  });
});

describe("the ledger across crashes and rebalances", () => {
  it("resumes from the position stored with the effects after a SIGKILL between an effect and its Kafka commit", async () => {
    const s = await scenario();
    const placed = orders(20, `crash-${s.topic}`);
    await publish(s.topic, placed);
    const crashing = ledgerProcess(s, { SHAKEDOWN_LEDGER_CRASH_AFTER_RECORDS: "7" });
    expect(await crashing.exit()).toEqual({ code: null, signal: "SIGKILL" });
    expect(effectCount(s)).toBe(7);

    const restarted = ledgerProcess(s);
    await restarted.line("ledger started");
    await consumedAll(s);
    const effects = s.store.effectsByOrder();
    expect(effects.size).toBe(20);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
  });

  it("negative control: with ledger.dedup off, the same crash applies an order twice", async () => {
    const s = await scenario();
    const placed = orders(20, `crash-off-${s.topic}`);
    await publish(s.topic, placed);
    const env = { SHAKEDOWN_LEDGER_DEDUP: "off" };
    const crashing = ledgerProcess(s, { ...env, SHAKEDOWN_LEDGER_CRASH_AFTER_RECORDS: "7" });
    expect(await crashing.exit()).toEqual({ code: null, signal: "SIGKILL" });
    const crashedOn = crashing.lines().find((l) => l.msg === "crashing after the effect")?.[
      "messaging.kafka.message.key"
    ];
    // The seventh record's effect is in, its offset is not: the group's lag still counts it.
    const lag = () => consumerGroupLag([kafka.bootstrap], s.topic, s.group);
    expect(await lag()).toBeGreaterThanOrEqual(14);

    const restarted = ledgerProcess(s, env);
    await restarted.line("ledger started");
    for (let polls = 0; polls < 600 && (await lag()) > 0; polls++) await sleep(100);
    expect(await lag()).toBe(0);
    // What the gate's ledger history relies on: once nothing is pending, the replayed effect is in.
    const effects = s.store.effectsByOrder();
    expect(effects.size).toBe(20);
    expect(effectCount(s)).toBeGreaterThan(20);
    expect(effects.get(String(crashedOn))).toBe(2);
  });

  it("a ledger SIGKILLed mid-stream and restarted applies every order exactly once", async () => {
    const s = await scenario();
    const placed = orders(1500, `midstream-${s.topic}`);
    await publish(s.topic, placed);
    const member = ledgerProcess(s);
    await eventually("some effects", () => (effectCount(s) >= 50 ? true : undefined));
    await member.kill();
    const atKill = effectCount(s);
    expect(atKill).toBeLessThan(1500);

    const restarted = ledgerProcess(s);
    await restarted.line("ledger started");
    await consumedAll(s);
    const effects = s.store.effectsByOrder();
    expect(effects.size).toBe(1500);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
  });

  it("when one of two members is SIGKILLed, the other resumes its partitions from the stored positions", async () => {
    const s = await scenario(4);
    const first = ledgerProcess(s);
    await first.line("ledger started");
    const second = ledgerProcess(s);
    const secondConsuming = await second.line("ledger consuming");
    expect(String(secondConsuming["shakedown.ledger.partitions"]).split(",").length).toBeLessThan(4);
    const placed = orders(1500, `rebalance-${s.topic}`);
    await publish(s.topic, placed);
    await eventually("some effects", () => (effectCount(s) >= 50 ? true : undefined));
    await first.kill();
    expect(effectCount(s)).toBeLessThan(1500);

    await second.line("ledger resumes newly assigned partitions");
    await consumedAll(s);
    const effects = s.store.effectsByOrder();
    expect(effects.size).toBe(1500);
    expect([...effects.values()].every((n) => n === 1)).toBe(true);
  });
});
