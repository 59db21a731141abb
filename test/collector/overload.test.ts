import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CollectorProcess, spawnCollector } from "../../collector/child-process.js";
import { encodeProtobuf, randomSpans, spansRequest } from "../helpers/otlp.js";

/** The stated bound for the collector's resident memory while it refuses an overload (README). */
const RSS_BOUND_BYTES = 512 * 1024 * 1024;
const CONCURRENT = 32;
const REQUESTS_PER_CLIENT = 15;
const SPANS_PER_REQUEST = 2_000;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib) * 1024;
}

describe("collector under more load than its writer can commit", () => {
  let collector: CollectorProcess;
  afterAll(async () => {
    await collector?.kill();
  });

  it("answers 429 with Retry-After instead of dropping, and its RSS stays under the bound", async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), "shakedown-overload-")), "collector.db");
    collector = await spawnCollector(dbPath, ["--max-pending-items", "20000"]);
    const body = encodeProtobuf("traces", spansRequest("overload", randomSpans(SPANS_PER_REQUEST)));
    const statuses = new Map<number, number>();
    const retryAfter: string[] = [];
    let peakRss = rssBytes(collector.pid);

    const client = async () => {
      for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
        const response = await fetch(`${collector.otlpHttp}/v1/traces`, {
          method: "POST",
          headers: { "content-type": "application/x-protobuf" },
          body,
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 429 || response.status === 503)
          retryAfter.push(response.headers.get("retry-after") ?? "");
        peakRss = Math.max(peakRss, rssBytes(collector.pid));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT }, client));

    const refused = (statuses.get(429) ?? 0) + (statuses.get(503) ?? 0);
    console.info(
      `overload: ${statuses.get(200) ?? 0} accepted, ${refused} refused, peak RSS ${Math.round(peakRss / 2 ** 20)} MiB`,
    );
    expect(refused).toBeGreaterThan(0);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].every((s) => [200, 429, 503].includes(s))).toBe(true);
    expect(retryAfter.every((value) => /^\d+$/.test(value) && Number(value) >= 1)).toBe(true);
    expect(peakRss).toBeLessThan(RSS_BOUND_BYTES);
    expect(await collector.stop()).toBe(0);
  });
});
