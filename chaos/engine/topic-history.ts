import { setTimeout as sleep } from "node:timers/promises";
import { OUTBOX_ATTEMPT_HEADER } from "../../fixtures/shop/outbox/outbox.js";
import { readTopic, type TopicRecord } from "../../fixtures/shop/topology/kafka.js";
import type { History, PublishedRecord } from "../checkers/types.js";
import type { RunTimes } from "../experiment/windows.js";
import type { HistorySource } from "../timeline/engine.js";
import { type PlacedOrder, placedOrders, placedSince } from "./placed-orders.js";

/** Where the orders are published to, and where the orders replicas keep them. */
export interface TopicFiles {
  /** A broker the engine can reach. */
  readonly bootstrap: string;
  readonly topic: string;
  readonly ordersDbPaths: readonly string[];
}

export interface TopicHistoryOptions {
  /** The longest wait for the relays to send every outbox row. Default 30 s. */
  readonly settleMillis?: number;
  /** Every outbox row sent for this long ends the wait. Default 3 s. */
  readonly quietMillis?: number;
  readonly pollMillis?: number;
  /** The longest the topic read may take. Default 20 s. */
  readonly readMillis?: number;
}

function attemptOf(record: TopicRecord): number | null {
  const raw = record.headers[OUTBOX_ATTEMPT_HEADER];
  const attempt = raw === undefined ? Number.NaN : Number(raw);
  return Number.isSafeInteger(attempt) && attempt >= 1 ? attempt : null;
}

/**
 * The run's records on the topic, as `no_producer_duplicates` reads them: each keyed by the Idempotency-Key
 * its order was placed with (found through the orders replicas, since records carry order ids), with the
 * outbox attempt from its header. Records of orders placed before the method started belong to an earlier
 * run and are left out; a record of an order no replica placed, written since the method started, is kept
 * as `order:<id>`.
 */
export function runRecords(
  records: readonly TopicRecord[],
  orders: ReadonlyMap<string, PlacedOrder>,
  methodStartMillis: number,
): PublishedRecord[] {
  return records.flatMap((record): PublishedRecord[] => {
    const order = orders.get(record.key);
    const key =
      order === undefined
        ? record.timestampMillis >= methodStartMillis
          ? `order:${record.key}`
          : null
        : order.placedAtMillis >= methodStartMillis
          ? order.key
          : null;
    if (key === null) return [];
    return [{ key, attempt: attemptOf(record), partition: record.partition, offset: Number(record.offset) }];
  });
}

/**
 * Reads the topic once the relays are done: it waits (bounded) until every outbox row has been sent and has
 * stayed so for `quietMillis`, since a duplicate from a producer retry is written before the acknowledgement
 * that lets the relay mark its row. A copy still queued on a connection the relay gave up on can land later
 * (TCP's retransmission after a partition heals): a run that makes one must last until it has landed. A run
 * that placed no order returns at once, without reading.
 */
export function topicHistory(files: TopicFiles, options: TopicHistoryOptions = {}): HistorySource {
  const settleMillis = options.settleMillis ?? 30_000;
  const quietMillis = options.quietMillis ?? 3000;
  const pollMillis = options.pollMillis ?? 250;
  const readMillis = options.readMillis ?? 20_000;
  return {
    async collect(times: RunTimes): Promise<History> {
      const deadline = Date.now() + settleMillis;
      let drainedSinceMillis: number | null = null;
      for (;;) {
        const { orders, unsent } = placedOrders(files.ordersDbPaths);
        if (unsent === 0 && !placedSince(orders, times.methodStartMillis)) return {};
        drainedSinceMillis = unsent === 0 ? (drainedSinceMillis ?? Date.now()) : null;
        const quiet = drainedSinceMillis !== null && Date.now() - drainedSinceMillis >= quietMillis;
        if (quiet || Date.now() >= deadline) {
          const records = await readTopic(files.bootstrap, files.topic, readMillis);
          return { records: runRecords(records, orders, times.methodStartMillis) };
        }
        await sleep(pollMillis);
      }
    },
  };
}
