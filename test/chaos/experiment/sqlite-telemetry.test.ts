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
  const read = (id: string, startMs: number, rows: number) =>
    span({
      trace: id,
      id,
      name: "SELECT products",
      kind: KIND.client,
      startMs,
      durationMs: 1,
      attributes: { "db.system.name": "sqlite", "db.response.returned_rows": rows },
    });
  const served = (id: string, startMs: number) =>
    span({ trace: id, id, name: "GetProduct", kind: KIND.server, startMs, durationMs: 2 });
  db.transaction(() => {
    inserter.insert(
      from(resource("catalog", "catalog-1"), {
        spans: [read("r1", 10_100, 1), read("r2", 10_150, 0), read("r3", 10_900, 1), served("s1", 10_100)],
      }),
    );
    inserter.insert(from(resource("catalog", "catalog-2"), { spans: [served("s2", 10_200)] }));
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

  it("gives a request in flight at an injection to the fault's window, not to the one ending there", async () => {
    // An injection at 210 ms catches request b (200 ms + 20 ms, failed); one at 500 ms catches order d.
    const before = { ...window(0, 210), endsAtInjection: true };
    const during = { ...window(210, 1000), startsAtInjection: true };
    expect(await telemetry.requestCounts({ service: "gateway" }, before)).toEqual({ requests: 1, errors: 0 });
    expect(await telemetry.requestCounts({ service: "gateway" }, during)).toEqual({ requests: 3, errors: 1 });
    expect(await telemetry.latencyQuantileMillis({ service: "gateway" }, 1, before)).toBe(10);
    const orders = { service: "gateway", operation: "POST /api/orders" };
    expect(await telemetry.requestCounts(orders, { ...window(0, 500), endsAtInjection: true })).toEqual({
      requests: 0,
      errors: 0,
    });
    expect(await telemetry.requestCounts(orders, { ...window(500, 1000), startsAtInjection: true })).toEqual({
      requests: 1,
      errors: 0,
    });
    expect(
      await telemetry.latencyQuantileMillis(orders, 0.5, { ...window(500, 1000), startsAtInjection: true }),
    ).toBe(400);
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

  it("lists the spans that match by name, kind and attribute, with the instance of each", async () => {
    const reads = await telemetry.spanStarts(
      { service: "catalog", name: "SELECT products", kind: "client" },
      window(10_000, 11_000),
    );
    expect(reads.instances).toEqual(["catalog-1", "catalog-2"]);
    expect(reads.spans).toEqual([
      { startMillis: BASE_MS + 10_100, instance: "catalog-1" },
      { startMillis: BASE_MS + 10_150, instance: "catalog-1" },
      { startMillis: BASE_MS + 10_900, instance: "catalog-1" },
    ]);
    const empty = await telemetry.spanStarts(
      { service: "catalog", attributes: { "db.response.returned_rows": 0 } },
      window(10_000, 11_000),
    );
    expect(empty.spans).toEqual([{ startMillis: BASE_MS + 10_150, instance: "catalog-1" }]);
    expect(
      (await telemetry.spanStarts({ service: "catalog", kind: "server" }, window(10_000, 11_000))).spans,
    ).toHaveLength(2);
    expect(await telemetry.spanStarts({ service: "catalog" }, window(12_000, 13_000))).toEqual({
      instances: [],
      spans: [],
    });
  });

  it("runs a read-only SQL query with the window bound, and refuses writes", async () => {
    const query =
      "SELECT count(*) FROM spans WHERE service_name = 'gateway' AND start_ns >= @start_ns AND start_ns < @end_ns";
    expect(await telemetry.sqlScalar(query, window(0, 1000))).toBe(4);
    expect(await telemetry.sqlScalar("SELECT max(duration_ns) / 1e6 FROM spans", window(0, 1))).toBe(400);
    await expect(telemetry.sqlScalar("DELETE FROM spans", window(0, 1))).rejects.toThrow(/read-only SELECT/);
  });
});
