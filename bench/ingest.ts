import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CollectorProcess, spawnCollector } from "../collector/child-process.js";
import { signalNamed } from "../collector/otlp/signals.js";
import { createInserter } from "../collector/store/insert.js";
import { openDatabase } from "../collector/store/schema.js";
import { otlpRequest, spanGroup, spanRows } from "./spans.js";

export interface IngestResult {
  rawSpansPerSecond: number;
  endToEndSpansPerSecond: number;
  ratio: number;
  spansPerRequest: number;
  concurrentRequests: number;
  totalSpans: number;
}

const SPANS_PER_REQUEST = 1_000;
const CONCURRENT_REQUESTS = 8;
const TOTAL_SPANS = 400_000;

/**
 * The baseline: the collector's own insert statements driven directly in large transactions, with rows that
 * are already normalised. No HTTP, no decoding, no worker hop: what SQLite on this machine can take.
 */
function rawInsertRate(dir: string): number {
  const db = openDatabase(join(dir, "raw.db"));
  const inserter = createInserter(db);
  const batches = Array.from({ length: TOTAL_SPANS / SPANS_PER_REQUEST }, (_, i) =>
    spanRows(SPANS_PER_REQUEST, BigInt(Date.now()) * 1_000_000n + BigInt(i) * 1_000_000_000n),
  );
  const insertMany = db.transaction((rows: typeof batches) => {
    for (const batch of rows) inserter.insert({ spans: [spanGroup("bench", batch)], metrics: [], logs: [] });
  });
  const started = performance.now();
  for (let i = 0; i < batches.length; i += 50) insertMany(batches.slice(i, i + 50));
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return TOTAL_SPANS / seconds;
}

/**
 * End to end: OTLP/HTTP protobuf requests of SDK-sized batches, several in flight, each counted only when
 * the collector answered 200, which it does after the batch's transaction committed.
 */
async function endToEndRate(collector: CollectorProcess): Promise<number> {
  const encode = signalNamed("traces");
  const requests = Array.from({ length: TOTAL_SPANS / SPANS_PER_REQUEST }, (_, i) =>
    encode.encodeRequest(
      otlpRequest(
        "bench",
        spanRows(SPANS_PER_REQUEST, BigInt(Date.now()) * 1_000_000n + BigInt(i) * 1_000_000_000n),
      ),
    ),
  );
  let next = 0;
  let acknowledged = 0;
  const url = new URL(`${collector.otlpHttp}/v1/traces`);
  // node:http with keep-alive costs the load generator less CPU than fetch, and it shares the two cores.
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENT_REQUESTS });
  const post = (body: Uint8Array) =>
    new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        url,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/x-protobuf", "content-length": body.length },
        },
        (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  const client = async () => {
    while (next < requests.length) {
      const body = requests[next++] as Uint8Array;
      for (let attempt = 0; attempt < 50; attempt++) {
        if ((await post(body)) === 200) {
          acknowledged += SPANS_PER_REQUEST;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  if (acknowledged !== TOTAL_SPANS)
    throw new Error(`only ${acknowledged} of ${TOTAL_SPANS} spans acknowledged`);
  return acknowledged / seconds;
}

export async function benchIngest(): Promise<IngestResult> {
  const dir = mkdtempSync(join(tmpdir(), "shakedown-bench-ingest-"));
  try {
    const rawSpansPerSecond = rawInsertRate(dir);
    // The collector runs in its own process, as in use, so the load generator does not share its event loop.
    const collector = await spawnCollector(join(dir, "collector.db"));
    try {
      const endToEndSpansPerSecond = await endToEndRate(collector);
      return {
        rawSpansPerSecond,
        endToEndSpansPerSecond,
        ratio: endToEndSpansPerSecond / rawSpansPerSecond,
        spansPerRequest: SPANS_PER_REQUEST,
        concurrentRequests: CONCURRENT_REQUESTS,
        totalSpans: TOTAL_SPANS,
      };
    } finally {
      await collector.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
