import { Worker } from "node:worker_threads";
import { SaturatedError, ShutDownError, WriteFailedError } from "../errors.js";
import { batchSize, type WriteBatch } from "../model.js";
import { compiledFile } from "../paths.js";
import type { RetentionPolicy } from "./retention.js";
import type { WriterData, WriterReply, WriterRequest } from "./writer-worker.js";

export interface WriterOptions {
  path: string;
  retention: RetentionPolicy;
  /** Items (spans, points, log records) accepted but not yet committed; beyond it writes are refused. */
  maxPendingItems: number;
  maxItemsPerTransaction: number;
  retentionIntervalMillis: number;
}

export const DEFAULT_WRITER_OPTIONS: Omit<WriterOptions, "path"> = {
  retention: { maxAgeMillis: 24 * 3600_000, maxBytes: 2 * 1024 ** 3 },
  maxPendingItems: 200_000,
  maxItemsPerTransaction: 50_000,
  retentionIntervalMillis: 30_000,
};

export interface WriterStats {
  pendingItems: number;
  committedItems: number;
  refusedWrites: number;
  failedWrites: number;
}

/**
 * The single writer of a Shakedown database, living in a worker thread. `write` resolves only after the
 * transaction holding the batch has committed, so an acknowledgement is a promise the data survives a crash.
 */
export interface StoreWriter {
  write(batch: WriteBatch): Promise<void>;
  /** Throws SaturatedError when a write of `items` would be refused now; lets receivers refuse before reading. */
  admit(items: number): void;
  stats(): WriterStats;
  close(): Promise<void>;
}

export function startWriter(options: WriterOptions): Promise<StoreWriter> {
  const data: WriterData = {
    path: options.path,
    retention: options.retention,
    maxItemsPerTransaction: options.maxItemsPerTransaction,
  };
  const worker = new Worker(compiledFile("collector/store/writer-worker.ts"), { workerData: data });
  const waiting = new Map<number, { items: number; resolve: () => void; reject: (error: Error) => void }>();
  const stats: WriterStats = { pendingItems: 0, committedItems: 0, refusedWrites: 0, failedWrites: 0 };
  let nextId = 1;
  let broken: Error | null = null;
  let closed: Promise<void> | null = null;
  let onClosed: () => void = () => {};
  // Commit throughput seen lately, to tell a refused client how long to wait.
  let itemsPerSecond = 50_000;

  const post = (message: WriterRequest) => worker.postMessage(message);

  const settle = (id: number, error?: Error) => {
    const entry = waiting.get(id);
    if (entry === undefined) return;
    waiting.delete(id);
    stats.pendingItems -= entry.items;
    if (error) {
      stats.failedWrites++;
      entry.reject(error);
    } else {
      stats.committedItems += entry.items;
      entry.resolve();
    }
  };

  const failAll = (error: Error) => {
    broken = error;
    for (const id of [...waiting.keys()]) settle(id, error);
  };

  worker.on("message", (reply: WriterReply) => {
    switch (reply.type) {
      case "committed":
        for (const id of reply.ids) settle(id);
        if (reply.millis > 0 && reply.items > 1000) {
          itemsPerSecond = 0.8 * itemsPerSecond + 0.2 * ((reply.items * 1000) / reply.millis);
        }
        break;
      case "failed":
        settle(reply.id, new WriteFailedError(reply.message));
        break;
      case "retention":
      case "ready":
        break;
      case "closed":
        onClosed();
        break;
    }
  });
  worker.on("error", (error) => failAll(new WriteFailedError(error.message)));
  worker.on("exit", (code) => {
    failAll(new WriteFailedError(`writer thread exited with code ${code}`));
    onClosed();
  });

  const retentionTimer = setInterval(() => post({ type: "retention" }), options.retentionIntervalMillis);
  retentionTimer.unref();

  const writer: StoreWriter = {
    admit(items) {
      if (closed !== null) throw new ShutDownError();
      if (broken !== null) throw broken;
      if (stats.pendingItems > 0 && stats.pendingItems + items > options.maxPendingItems) {
        stats.refusedWrites++;
        const retryAfter = Math.max(1, Math.ceil(stats.pendingItems / itemsPerSecond));
        throw new SaturatedError(stats.pendingItems, options.maxPendingItems, retryAfter);
      }
    },
    write(batch) {
      const items = batchSize(batch);
      try {
        writer.admit(items);
      } catch (error) {
        return Promise.reject(error);
      }
      if (items === 0) return Promise.resolve();
      const id = nextId++;
      stats.pendingItems += items;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { items, resolve, reject });
        post({ type: "write", id, batch, items });
      });
    },
    stats: () => ({ ...stats }),
    close() {
      if (closed === null) {
        clearInterval(retentionTimer);
        closed = new Promise<void>((resolve) => {
          onClosed = resolve;
        }).then(async () => {
          await worker.terminate();
        });
        if (broken === null) post({ type: "close" });
        else onClosed();
      }
      return closed;
    },
  };

  // Resolve once the worker has opened the database and created the schema, so readers can open it next.
  return new Promise((resolve, reject) => {
    const ready = (reply: WriterReply) => {
      if (reply.type !== "ready") return;
      worker.off("message", ready);
      resolve(writer);
    };
    worker.on("message", ready);
    worker.once("error", reject);
    worker.once("exit", (code) =>
      reject(new WriteFailedError(`writer thread exited with code ${code} while starting`)),
    );
  });
}
