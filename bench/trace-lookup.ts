import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnCollector } from "../collector/child-process.js";
import { createInserter } from "../collector/store/insert.js";
import { openDatabase } from "../collector/store/schema.js";
import { spanGroup, spanRows } from "./spans.js";

export interface TraceLookupResult {
  storedSpans: number;
  lookups: number;
  medianMillis: number;
  p99Millis: number;
}

const STORED_SPANS = 1_000_000;
const LOOKUPS = 300;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** `GET /api/traces/{id}` over HTTP against a database holding a million spans, each lookup timed alone. */
export async function benchTraceLookup(): Promise<TraceLookupResult> {
  const dir = mkdtempSync(join(tmpdir(), "shakedown-bench-lookup-"));
  try {
    const dbPath = join(dir, "collector.db");
    const db = openDatabase(dbPath);
    const inserter = createInserter(db);
    const traceIds: string[] = [];
    const start = BigInt(Date.now()) * 1_000_000n - 3_600_000_000_000n;
    db.transaction(() => {
      for (let done = 0; done < STORED_SPANS; done += 10_000) {
        const rows = spanRows(10_000, start + BigInt(done) * 1000n);
        traceIds.push((rows[done % 7_000] as { traceId: string }).traceId);
        inserter.insert({ spans: [spanGroup(`service-${done % 6}`, rows)], metrics: [], logs: [] });
      }
    })();
    db.close();

    const collector = await spawnCollector(dbPath);
    try {
      const timings: number[] = [];
      for (let i = 0; i < LOOKUPS; i++) {
        const id = traceIds[i % traceIds.length] as string;
        const started = performance.now();
        const response = await fetch(`${collector.api}/api/traces/${id}`);
        const body = (await response.json()) as { spans: unknown[] };
        timings.push(performance.now() - started);
        if (response.status !== 200 || body.spans.length === 0) throw new Error(`trace ${id} not found`);
      }
      // The first lookups warm SQLite's page cache and V8; steady state is what a user browsing traces sees.
      const steady = timings.slice(20).sort((a, b) => a - b);
      return {
        storedSpans: STORED_SPANS,
        lookups: steady.length,
        medianMillis: quantile(steady, 0.5),
        p99Millis: quantile(steady, 0.99),
      };
    } finally {
      await collector.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
