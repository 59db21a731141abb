import Database from "better-sqlite3";
import { logger, switchboard } from "../../../agents/index.js";
import { LEDGER_SWITCHES, startLedger } from "../../../fixtures/shop/ledger/index.js";

/**
 * A ledger group member as its own process, for tests that kill it. Environment: SHAKEDOWN_LEDGER_DB,
 * SHAKEDOWN_KAFKA_BOOTSTRAP, SHAKEDOWN_TOPIC, SHAKEDOWN_GROUP, SHAKEDOWN_LEDGER_DEDUP=off (negative control);
 * SHAKEDOWN_LEDGER_CRASH_AFTER_RECORDS=n makes it SIGKILL itself right after the n-th record's transaction
 * committed, before its offset is committed to Kafka.
 */
const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

switchboard.define(LEDGER_SWITCHES.dedup).set(process.env.SHAKEDOWN_LEDGER_DEDUP !== "off");
const crashAfterRecords = Number(process.env.SHAKEDOWN_LEDGER_CRASH_AFTER_RECORDS ?? "0");
let records = 0;
const db = new Database(env("SHAKEDOWN_LEDGER_DB"));
const ledger = await startLedger({
  db,
  bootstrapBrokers: [env("SHAKEDOWN_KAFKA_BOOTSTRAP")],
  topic: env("SHAKEDOWN_TOPIC"),
  groupId: env("SHAKEDOWN_GROUP"),
  clientId: `ledger-${process.pid}`,
  sessionTimeoutMillis: 3000,
  heartbeatIntervalMillis: 500,
  onRecord: (outcome) => {
    records++;
    if (records === crashAfterRecords) {
      logger.info({ "messaging.kafka.message.key": outcome.orderId }, "crashing after the effect");
      process.kill(process.pid, "SIGKILL");
    }
  },
});
logger.info("ledger started");

process.once("SIGTERM", () => {
  void ledger.close().finally(() => {
    db.close();
    process.exit(0);
  });
});
