import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { type CollectorProcess, spawnCollector } from "../../collector/child-process.js";
import { encodeProtobuf, randomSpans, spansRequest } from "../helpers/otlp.js";

const SENDERS = 4;
const SPANS_PER_REQUEST = 250;
/** Acknowledged requests to see before the kill: enough that several commits precede it. */
const ACKS_BEFORE_KILL = 40;
/** Bound on every sender loop, whatever happens. */
const MAX_REQUESTS_PER_SENDER = 400;

describe("collector killed with SIGKILL during sustained ingest", () => {
  const running: CollectorProcess[] = [];
  afterAll(async () => {
    for (const collector of running) await collector.kill();
  });

  it("has every acknowledged span in the database afterwards, and the database passes integrity_check", async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), "shakedown-crash-")), "collector.db");
    const collector = await spawnCollector(dbPath);
    running.push(collector);
    const acknowledged: string[] = [];
    let acks = 0;
    let killed: Promise<void> | undefined;

    const sender = async (index: number) => {
      for (let i = 0; i < MAX_REQUESTS_PER_SENDER && killed === undefined; i++) {
        const spans = randomSpans(SPANS_PER_REQUEST, `sender-${index}`);
        const request = spansRequest("crash-test", spans);
        const asJson = i % 2 === 0;
        try {
          const response = await fetch(`${collector.otlpHttp}/v1/traces`, {
            method: "POST",
            headers: { "content-type": asJson ? "application/json" : "application/x-protobuf" },
            body: asJson ? JSON.stringify(request) : encodeProtobuf("traces", request),
          });
          await response.arrayBuffer();
          if (response.status === 200) {
            acknowledged.push(...spans.map((s) => s.spanId));
            acks++;
            if (acks >= ACKS_BEFORE_KILL && killed === undefined) killed = collector.kill();
          }
        } catch {
          // A request cut off by the kill was never acknowledged; it may or may not have landed.
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(i)));
    expect(killed).toBeDefined();
    await killed;
    expect(collector.child.exitCode === null ? collector.child.signalCode : "exited").toBe("SIGKILL");

    const db = new Database(dbPath);
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      const stored = new Set(
        (db.prepare("SELECT lower(hex(span_id)) AS id FROM spans").all() as { id: string }[]).map(
          (r) => r.id,
        ),
      );
      const missing = acknowledged.filter((id) => !stored.has(id));
      expect(acknowledged.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL * SPANS_PER_REQUEST);
      expect(missing).toEqual([]);
    } finally {
      db.close();
    }

    const restarted = await spawnCollector(dbPath);
    running.push(restarted);
    const services = await (await fetch(`${restarted.api}/api/services`)).json();
    expect(JSON.stringify(services)).toContain("crash-test");
    expect(await restarted.stop()).toBe(0);
  });
});
