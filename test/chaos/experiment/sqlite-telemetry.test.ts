import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteTelemetry } from "../../../chaos/experiment/sqlite-telemetry.js";
import { createInserter } from "../../../collector/store/insert.js";
import { openDatabase } from "../../../collector/store/schema.js";
import {
  BASE_MS,
  from,
  KIND,
  resource,
  STATUS,
  series,
  span,
  valuePoint,
} from "../../collector/query/fixtures.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-telemetry-"));
let db: Database.Database;
let telemetry: SqliteTelemetry;
const window = (fromMs: number, toMs: number) => ({
  startMillis: BASE_MS + fromMs,
  endMillis: BASE_MS + toMs,
});

beforeAll(() => {
  db = openDatabase(join(folder, "telemetry.db"));
  const inserter = createInserter(db);
  const gateway = resource("gateway");
  const request = (
    id: string,
    startMs: number,
    durationMs: number,
    error = false,
    name = "GET /api/products/:id",
  ) =>
    span({
      trace: id,
      id,
      name,
      kind: KIND.server,
      startMs,
      durationMs,
      status: error ? STATUS.error : STATUS.unset,
    });
  db.transaction(() => {
    inserter.insert(
      from(gateway, {
        spans: [
          request("a", 100, 10),
          request("b", 200, 20, true),
          request("c", 300, 30),
          request("d", 400, 400, false, "POST /api/orders"),
          request("e", 5_000, 50),
        ],
        metrics: [
          series(
            {
              name: "db_queries_total",
              type: "sum",
              temporality: 2,
              monotonic: true,
              labels: { table: "products" },
            },
            [
              valuePoint(0, 10, 0),
              valuePoint(1000, 15, 0),
              valuePoint(2000, 3, 0), // the process restarted
              valuePoint(3000, 8, 0),
            ],
          ),
        ],
      }),
    );
  })();
  telemetry = new SqliteTelemetry(db);
});
afterAll(() => {
  db.close();
  rmSync(folder, { recursive: true, force: true });
});

describe("telemetry from the collector's SQLite", () => {
  it("counts a service's requests and errors in a window, optionally of one operation", async () => {
    expect(await telemetry.requestCounts({ service: "gateway" }, window(0, 1000))).toEqual({
      requests: 4,
      errors: 1,
    });
    expect(
      await telemetry.requestCounts({ service: "gateway", operation: "POST /api/orders" }, window(0, 1000)),
    ).toEqual({
      requests: 1,
      errors: 0,
    });
    expect(await telemetry.requestCounts({ service: "catalog" }, window(0, 1000))).toEqual({
      requests: 0,
      errors: 0,
    });
  });

  it("answers latency quantiles in milliseconds, null without requests", async () => {
    expect(await telemetry.latencyQuantileMillis({ service: "gateway" }, 0.5, window(0, 1000))).toBe(20);
    expect(await telemetry.latencyQuantileMillis({ service: "gateway" }, 0.99, window(0, 1000))).toBe(400);
    expect(
      await telemetry.latencyQuantileMillis({ service: "gateway" }, 0.99, window(6000, 7000)),
    ).toBeNull();
  });

  it("sums a counter's increase over the window across a restart", async () => {
    expect(await telemetry.metricIncrease({ name: "db_queries_total" }, window(500, 3500))).toBe(5 + 3 + 5);
    expect(
      await telemetry.metricIncrease(
        { name: "db_queries_total", attributes: { table: "users" } },
        window(0, 3500),
      ),
    ).toBeNull();
  });

  it("runs a read-only SQL query with the window bound, and refuses writes", async () => {
    const query =
      "SELECT count(*) FROM spans WHERE service_name = 'gateway' AND start_ns >= @start_ns AND start_ns < @end_ns";
    expect(await telemetry.sqlScalar(query, window(0, 1000))).toBe(4);
    expect(await telemetry.sqlScalar("SELECT max(duration_ns) / 1e6 FROM spans", window(0, 1))).toBe(400);
    await expect(telemetry.sqlScalar("DELETE FROM spans", window(0, 1))).rejects.toThrow(/read-only SELECT/);
  });
});
