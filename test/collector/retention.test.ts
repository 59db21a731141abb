import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { benchResource, benchScope, spanRows } from "../../bench/spans.js";
import type { LogRow, WriteBatch } from "../../collector/model.js";
import { createInserter } from "../../collector/store/insert.js";
import { applyRetention, liveBytes } from "../../collector/store/retention.js";
import { openDatabase } from "../../collector/store/schema.js";

const HOUR_NS = 3_600_000_000_000n;
const NOW_MS = Date.now();
const NOW_NS = BigInt(NOW_MS) * 1_000_000n;

function logRow(timeNs: bigint, text: string): LogRow {
  return {
    timeUnixNano: timeNs,
    observedTimeUnixNano: timeNs,
    severityNumber: 9,
    severityText: "INFO",
    body: JSON.stringify(text),
    bodyText: text,
    attributes: "{}",
    droppedAttributesCount: 0,
    flags: 0,
    traceId: "",
    spanId: "",
    eventName: "",
  };
}

function seed(db: Database.Database, startNs: bigint, spans: number, logText: string): void {
  const batch: WriteBatch = {
    spans: [{ resource: benchResource("svc"), scope: benchScope, rows: spanRows(spans, startNs) }],
    metrics: [
      {
        resource: benchResource("svc"),
        scope: benchScope,
        rows: [
          {
            series: {
              name: "m",
              description: "",
              unit: "",
              type: "gauge",
              temporality: 0,
              monotonic: false,
              attributes: "{}",
              metadata: "{}",
            },
            points: [
              {
                startTimeUnixNano: startNs,
                timeUnixNano: startNs,
                value: 1,
                count: null,
                sum: null,
                min: null,
                max: null,
                flags: 0,
                detail: null,
                exemplars: null,
              },
            ],
          },
        ],
      },
    ],
    logs: [{ resource: benchResource("svc"), scope: benchScope, rows: [logRow(startNs, logText)] }],
  };
  db.transaction(() => createInserter(db).insert(batch))();
}

const count = (db: Database.Database, table: string) =>
  (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const searched = (db: Database.Database, word: string) =>
  (db.prepare("SELECT count(*) AS n FROM logs_fts WHERE logs_fts MATCH ?").get(word) as { n: number }).n;

describe("retention", () => {
  it("deletes spans, points and logs older than the age limit, search entries included, and keeps the rest", () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), "shakedown-retention-")), "r.db"));
    seed(db, NOW_NS - 48n * HOUR_NS, 100, "ancient message");
    seed(db, NOW_NS - HOUR_NS, 50, "recent message");
    const result = applyRetention(db, { maxAgeMillis: 24 * 3_600_000, maxBytes: 0 }, NOW_MS);
    expect(result.deletedRows).toBe(100 + 1 + 1 + 1);
    expect(count(db, "spans")).toBe(50);
    expect(count(db, "metric_points")).toBe(1);
    expect(count(db, "logs")).toBe(1);
    expect(searched(db, "ancient")).toBe(0);
    expect(searched(db, "recent")).toBe(1);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
  });

  it("deletes the oldest data first until the live data fits the size limit", () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), "shakedown-retention-")), "r.db"));
    for (let hour = 10n; hour > 0n; hour--) seed(db, NOW_NS - hour * HOUR_NS, 5_000, `hour ${hour}`);
    const before = liveBytes(db);
    const limit = Math.floor(before / 2);
    const result = applyRetention(db, { maxAgeMillis: 0, maxBytes: limit }, NOW_MS);
    expect(result.liveBytes).toBeLessThanOrEqual(limit);
    const newest = db.prepare("SELECT max(start_ns) AS t FROM spans").get() as { t: number };
    const oldest = db.prepare("SELECT min(start_ns) AS t FROM spans").get() as { t: number };
    expect(BigInt(newest.t)).toBeGreaterThan(NOW_NS - 2n * HOUR_NS);
    expect(BigInt(oldest.t)).toBeGreaterThan(NOW_NS - 10n * HOUR_NS);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
  });

  it("does nothing when no limit is set", () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), "shakedown-retention-")), "r.db"));
    seed(db, NOW_NS - 1000n * HOUR_NS, 10, "kept");
    expect(applyRetention(db, { maxAgeMillis: 0, maxBytes: 0 }, NOW_MS).deletedRows).toBe(0);
    expect(count(db, "spans")).toBe(10);
    db.close();
  });
});
