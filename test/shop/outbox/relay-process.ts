import Database from "better-sqlite3";
import { logger, switchboard } from "../../../agents/index.js";
import { KafkaPublisher, OUTBOX_SWITCHES, startRelay } from "../../../fixtures/shop/outbox/index.js";

/**
 * The outbox relay as its own process, for tests that kill it. Environment: SHAKEDOWN_OUTBOX_DB,
 * SHAKEDOWN_KAFKA_BOOTSTRAP, SHAKEDOWN_TOPIC, SHAKEDOWN_RELAY_BATCH_SIZE; SHAKEDOWN_RELAY_CRASH_AFTER_BATCHES=n
 * makes it SIGKILL itself once the broker acknowledged its n-th batch, before marking that batch sent.
 */
const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const db = new Database(env("SHAKEDOWN_OUTBOX_DB"));
db.pragma("journal_mode = WAL");
db.pragma("busy_timeout = 5000");
switchboard
  .define(OUTBOX_SWITCHES.idempotentProducer)
  .set(process.env.SHAKEDOWN_IDEMPOTENT_PRODUCER !== "off");
const crashAfterBatches = Number(process.env.SHAKEDOWN_RELAY_CRASH_AFTER_BATCHES ?? "0");
let batches = 0;
const producer = new KafkaPublisher({ bootstrapBrokers: [env("SHAKEDOWN_KAFKA_BOOTSTRAP")] });
const relay = startRelay({
  db,
  producer,
  topic: env("SHAKEDOWN_TOPIC"),
  batchSize: Number(process.env.SHAKEDOWN_RELAY_BATCH_SIZE ?? "100"),
  intervalMillis: 50,
  onPublished: (rows) => {
    batches++;
    if (batches === crashAfterBatches) {
      logger.info({ "shakedown.outbox.ids": rows.map((r) => r.id).join(",") }, "crashing after the ack");
      process.kill(process.pid, "SIGKILL");
    }
  },
});
logger.info("relay started");

process.once("SIGTERM", () => {
  void Promise.all([relay.stop(), producer.close()]).finally(() => {
    db.close();
    process.exit(0);
  });
});
