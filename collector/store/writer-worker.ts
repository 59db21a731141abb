import { parentPort, workerData } from "node:worker_threads";
import type { WriteBatch } from "../model.js";
import { createInserter } from "./insert.js";
import { applyRetention, type RetentionPolicy } from "./retention.js";
import { openDatabase } from "./schema.js";

/** Messages the writer thread accepts. */
export type WriterRequest =
  | { type: "write"; id: number; batch: WriteBatch; items: number }
  | { type: "retention" }
  | { type: "close" };

/** Messages the writer thread sends back. */
export type WriterReply =
  | { type: "committed"; ids: number[]; items: number; millis: number }
  | { type: "failed"; id: number; message: string }
  | { type: "retention"; deletedRows: number; liveBytes: number }
  | { type: "ready" }
  | { type: "closed" };

export interface WriterData {
  path: string;
  retention: RetentionPolicy;
  /** Upper bound of items per transaction, so that one commit never stalls acknowledgements for long. */
  maxItemsPerTransaction: number;
}

const port = parentPort;
if (port === null) throw new Error("writer-worker must run as a worker thread");
const { path, retention, maxItemsPerTransaction } = workerData as WriterData;

const db = openDatabase(path);
const inserter = createInserter(db);
const insertAll = db.transaction((writes: { batch: WriteBatch }[]) => {
  for (const write of writes) inserter.insert(write.batch);
});
const insertOne = db.transaction((batch: WriteBatch) => inserter.insert(batch));

let queue: { id: number; batch: WriteBatch; items: number }[] = [];
let flushScheduled = false;
let closing = false;

const reply = (message: WriterReply) => port.postMessage(message);
reply({ type: "ready" });

/**
 * Commits everything that queued up since the last commit in one transaction (up to the cap), then
 * acknowledges those writes. Under load messages pile up while a transaction runs, which is what makes
 * the batches large exactly when throughput matters.
 */
function flush(): void {
  flushScheduled = false;
  while (queue.length > 0) {
    let items = 0;
    let take = 0;
    while (
      take < queue.length &&
      (take === 0 || items + (queue[take]?.items ?? 0) <= maxItemsPerTransaction)
    ) {
      items += queue[take]?.items ?? 0;
      take++;
    }
    const writes = queue.slice(0, take);
    queue = queue.slice(take);
    const started = performance.now();
    try {
      insertAll(writes);
      reply({ type: "committed", ids: writes.map((w) => w.id), items, millis: performance.now() - started });
    } catch {
      // One bad batch must not take its neighbours down with it: retry each alone.
      for (const write of writes) {
        try {
          insertOne(write.batch);
          reply({ type: "committed", ids: [write.id], items: write.items, millis: 0 });
        } catch (error) {
          reply({ type: "failed", id: write.id, message: (error as Error).message });
        }
      }
    }
    if (!closing) break;
  }
  if (queue.length > 0) schedule();
}

function schedule(): void {
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

port.on("message", (message: WriterRequest) => {
  switch (message.type) {
    case "write":
      queue.push(message);
      schedule();
      break;
    case "retention": {
      const result = applyRetention(db, retention, Date.now());
      reply({ type: "retention", ...result });
      break;
    }
    case "close":
      closing = true;
      flush();
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
      reply({ type: "closed" });
      port.close();
      break;
  }
});
