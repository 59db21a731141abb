import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { Counter, Gauge, Histogram, Registry, Summary } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SaturatedError } from "../../../collector/errors.js";
import type { WriteBatch } from "../../../collector/model.js";
import { type Scraper, type ScrapeTarget, startScraper } from "../../../collector/scrape/scraper.js";
import { openDatabase } from "../../../collector/store/schema.js";
import { DEFAULT_WRITER_OPTIONS, type StoreWriter, startWriter } from "../../../collector/store/writer.js";

const HOUR_MILLIS = 3_600_000;

interface Server {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serveText(text: () => string, status = () => 200): Promise<Server> {
  return serve((_req, res) => {
    res.writeHead(status(), { "content-type": "text/plain; version=0.0.4" });
    res.end(text());
  });
}

/** A port nothing listens on: one a server just gave back. */
async function closedPortUrl(): Promise<string> {
  const server = await serve(() => {});
  await server.close();
  return server.url;
}

function shopRegistry(): Registry {
  const registry = new Registry();
  const orders = new Counter({
    name: "shop_orders_total",
    help: "Orders placed, by outcome.",
    labelNames: ["status"],
    registers: [registry],
  });
  orders.inc({ status: "paid" }, 3);
  orders.inc({ status: 'said "no"\nthen left\\' });
  new Gauge({ name: "shop_queue_depth", help: "Orders waiting.", registers: [registry] }).set(7);
  const latency = new Histogram({
    name: "shop_request_duration_seconds",
    help: "Request latency.",
    labelNames: ["route"],
    buckets: [0.1, 0.5, 1],
    registers: [registry],
  });
  for (const seconds of [0.05, 0.3, 0.3, 2]) latency.observe({ route: "/orders" }, seconds);
  latency.observe({ route: "/products" }, 0.7);
  const payload = new Summary({
    name: "shop_payload_bytes",
    help: "Payload sizes.",
    percentiles: [0.5, 0.9],
    registers: [registry],
  });
  for (const bytes of [100, 200, 300]) payload.observe(bytes);
  return registry;
}

interface PointRecord {
  service_name: string;
  name: string;
  description: string;
  type: string;
  temporality: bigint;
  monotonic: bigint;
  attributes: string;
  metadata: string;
  resource: string;
  start_ns: bigint;
  time_ns: bigint;
  value: number | null;
  count: bigint | null;
  sum: number | null;
  detail: string | null;
}

function pointsOf(db: Database.Database, service: string, name: string): PointRecord[] {
  return db
    .prepare<[string, string], PointRecord>(
      `SELECT s.service_name, s.name, s.description, s.type, s.temporality, s.monotonic, s.attributes, s.metadata,
         r.attributes AS resource, p.start_ns, p.time_ns, p.value, p.count, p.sum, p.detail
       FROM metric_series s
       JOIN metric_points p ON p.series_id = s.id
       JOIN resources r ON r.id = s.resource_id
       WHERE s.service_name = ? AND s.name = ?
       ORDER BY p.time_ns, s.attributes`,
    )
    .safeIntegers(true)
    .all(service, name);
}

function upValues(db: Database.Database, service: string): (number | null)[] {
  return pointsOf(db, service, "up").map((p) => p.value);
}

describe("the Prometheus scraper storing through the real writer", () => {
  let dir: string;
  let writer: StoreWriter;
  let db: Database.Database;
  const cleanups: (() => Promise<void>)[] = [];
  const errors: { message: string; target: ScrapeTarget }[] = [];

  const scraper = (targets: ScrapeTarget[], timeoutMillis = 5_000): Scraper => {
    const s = startScraper({
      targets,
      intervalMillis: HOUR_MILLIS,
      timeoutMillis,
      writer,
      onError: (error, target) => errors.push({ message: error.message, target }),
    });
    cleanups.push(() => s.stop());
    return s;
  };
  const server = async (started: Promise<Server>): Promise<Server> => {
    const s = await started;
    cleanups.push(() => s.close());
    return s;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "shakedown-scrape-"));
    const path = join(dir, "scrape.db");
    writer = await startWriter({ path, ...DEFAULT_WRITER_OPTIONS });
    db = openDatabase(path, { readonly: true });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    errors.length = 0;
  });

  afterAll(async () => {
    db.close();
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores a prom-client registry's counter, gauge, histogram and summary with their names and labels", async () => {
    const registry = shopRegistry();
    const shop = await server(
      serve(async (_req, res) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(await registry.metrics());
      }),
    );
    await scraper([{ job: "shop", url: shop.url }]).scrapeNow();

    const orders = pointsOf(db, "shop", "shop_orders_total");
    expect(orders.map((p) => [p.attributes, p.value])).toEqual([
      ['{"status":"paid"}', 3],
      ['{"status":"said \\"no\\"\\nthen left\\\\"}', 1],
    ]);
    expect(orders[0]).toMatchObject({
      type: "sum",
      temporality: 2n,
      monotonic: 1n,
      description: "Orders placed, by outcome.",
      metadata: '{"prometheus.type":"counter"}',
      resource: `{"service.name":"shop","service.instance.id":"127.0.0.1:${shop.port}","server.address":"127.0.0.1","server.port":${shop.port},"url.scheme":"http"}`,
    });
    expect(orders[0]?.start_ns).toBe(orders[0]?.time_ns);

    expect(pointsOf(db, "shop", "shop_queue_depth")).toMatchObject([
      { type: "gauge", attributes: "{}", value: 7 },
    ]);

    const latency = pointsOf(db, "shop", "shop_request_duration_seconds");
    expect(
      latency.map((p) => [p.attributes, p.type, p.temporality, p.count, p.sum, JSON.parse(p.detail ?? "")]),
    ).toEqual([
      [
        '{"route":"/orders"}',
        "histogram",
        2n,
        4n,
        2.65,
        { bucketCounts: [1, 2, 0, 1], explicitBounds: [0.1, 0.5, 1] },
      ],
      [
        '{"route":"/products"}',
        "histogram",
        2n,
        1n,
        0.7,
        { bucketCounts: [0, 0, 1, 0], explicitBounds: [0.1, 0.5, 1] },
      ],
    ]);
    expect(pointsOf(db, "shop", "shop_request_duration_seconds_bucket")).toEqual([]);

    const payload = pointsOf(db, "shop", "shop_payload_bytes");
    expect(payload).toMatchObject([{ type: "summary", attributes: "{}", count: 3n, sum: 600 }]);
    expect(JSON.parse(payload[0]?.detail ?? "")).toEqual({
      quantiles: [
        { quantile: 0.5, value: 200 },
        { quantile: 0.9, value: 300 },
      ],
    });

    expect(upValues(db, "shop")).toEqual([1]);
    const samples = 2 + 1 + 2 * (4 + 2) + (2 + 2);
    expect(pointsOf(db, "shop", "scrape_samples_scraped")[0]?.value).toBe(samples);
    expect(pointsOf(db, "shop", "scrape_duration_seconds")[0]?.value).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it("keeps a counter's first-seen start time on later scrapes", async () => {
    let total = 1;
    const target = await server(serveText(() => `# TYPE ticks_total counter\nticks_total ${total}\n`));
    const s = scraper([{ job: "ticker", url: target.url }]);
    await s.scrapeNow();
    total = 5;
    await s.scrapeNow();
    const [first, second] = pointsOf(db, "ticker", "ticks_total");
    expect(second?.value).toBe(5);
    expect(second?.start_ns).toBe(first?.time_ns);
    expect(second?.time_ns).toBeGreaterThanOrEqual(first?.time_ns ?? 0n);
  });

  it("stores up 0 for a target that is down and reports it once, not on every scrape", async () => {
    const url = await closedPortUrl();
    const s = scraper([{ job: "gone", url }]);
    await s.scrapeNow();
    await s.scrapeNow();
    expect(upValues(db, "gone")).toEqual([0, 0]);
    expect(pointsOf(db, "gone", "scrape_samples_scraped").map((p) => p.value)).toEqual([0, 0]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(
      new RegExp(`^scrape of ${url} \\(job "gone"\\) failed: .*ECONNREFUSED`),
    );
  });

  it("reports a target again when it fails after having recovered", async () => {
    let status = 500;
    const flaky = await server(
      serveText(
        () => "flaky_ok 1\n",
        () => status,
      ),
    );
    const s = scraper([{ job: "flaky", url: flaky.url }]);
    await s.scrapeNow();
    await s.scrapeNow();
    status = 200;
    await s.scrapeNow();
    status = 503;
    await s.scrapeNow();
    expect(upValues(db, "flaky")).toEqual([0, 0, 1, 0]);
    expect(errors.map((e) => e.message.replace(/.*failed: /, ""))).toEqual([
      "HTTP 500 Internal Server Error",
      "HTTP 503 Service Unavailable",
    ]);
  });

  it("stores up 0 and names the bad line for a garbage exposition while other targets are still stored", async () => {
    const garbage = await server(serveText(() => "<html>\n<body>no metrics here</body>\n</html>\n"));
    const good = await server(serveText(() => "# TYPE fine gauge\nfine 1\n"));
    await scraper([
      { job: "garbage", url: garbage.url },
      { job: "good", url: good.url },
    ]).scrapeNow();
    expect(upValues(db, "garbage")).toEqual([0]);
    expect(upValues(db, "good")).toEqual([1]);
    expect(pointsOf(db, "good", "fine").map((p) => p.value)).toEqual([1]);
    expect(errors.map((e) => [e.target.job, e.message])).toEqual([
      [
        "garbage",
        `scrape of ${garbage.url} (job "garbage") failed: exposition line 1: expected a metric name, found "<html>"`,
      ],
    ]);
  });

  it("stores up 0 for a target that does not answer within the timeout", async () => {
    const silent = await server(serve(() => {}));
    await scraper([{ job: "silent", url: silent.url }], 200).scrapeNow();
    expect(upValues(db, "silent")).toEqual([0]);
    expect(errors[0]?.message).toMatch(/failed: timed out after 200 ms$/);
  });

  it("does not follow a redirect away from the configured target", async () => {
    const other = await server(serveText(() => "elsewhere 1\n"));
    const redirecting = await server(
      serve((_req, res) => {
        res.writeHead(302, { location: other.url });
        res.end();
      }),
    );
    await scraper([{ job: "redirecting", url: redirecting.url }]).scrapeNow();
    expect(upValues(db, "redirecting")).toEqual([0]);
    expect(pointsOf(db, "redirecting", "elsewhere")).toEqual([]);
  });

  it("scrapes added targets and no longer scrapes removed ones", async () => {
    const a = await server(serveText(() => "a_here 1\n"));
    const b = await server(serveText(() => "b_here 1\n"));
    const s = scraper([{ job: "a", url: a.url }]);
    s.addTarget({ job: "b", url: b.url });
    await s.scrapeNow();
    s.removeTarget(a.url);
    await s.scrapeNow();
    expect(upValues(db, "a")).toEqual([1]);
    expect(upValues(db, "b")).toEqual([1, 1]);
    expect(() => s.addTarget({ job: "other", url: b.url })).toThrow('already scraped for job "b"');
  });
});

describe("the Prometheus scraper's life cycle", () => {
  const written: WriteBatch[] = [];
  const recording = { write: async (batch: WriteBatch) => void written.push(batch) };
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    written.length = 0;
  });

  it("scrapes every target on the interval without being asked", async () => {
    const target = await serveText(() => "tick 1\n");
    cleanups.push(() => target.close());
    const stored = new Promise<WriteBatch>((resolve) => {
      const s = startScraper({
        targets: [{ job: "t", url: target.url }],
        intervalMillis: 10,
        timeoutMillis: 5_000,
        writer: { write: async (batch) => resolve(batch) },
      });
      cleanups.push(() => s.stop());
    });
    const batch = await stored;
    expect(batch.metrics[0]?.resource.serviceName).toBe("t");
  });

  it("waits in stop for a scrape under way and stores its points", async () => {
    let release: () => void = () => {};
    let arrived: () => void = () => {};
    const requested = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const slow = await serve((_req, res) => {
      arrived();
      release = () => res.end("slow_done 1\n");
    });
    cleanups.push(() => slow.close());
    const s = startScraper({
      targets: [{ job: "slow", url: slow.url }],
      intervalMillis: HOUR_MILLIS,
      timeoutMillis: 30_000,
      writer: recording,
    });
    const scraping = s.scrapeNow();
    await requested;
    let stopped = false;
    const stopping = s.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await Promise.all([scraping, stopping]);
    expect(written.flatMap((b) => b.metrics[0]?.rows.map((r) => r.series.name))).toContain("slow_done");
    await expect(s.scrapeNow()).rejects.toThrow("shutting down");
  });

  it("reports a store that refuses points once and keeps scraping", async () => {
    const target = await serveText(() => "x 1\n");
    cleanups.push(() => target.close());
    const errors: string[] = [];
    let attempts = 0;
    const s = startScraper({
      targets: [{ job: "x", url: target.url }],
      intervalMillis: HOUR_MILLIS,
      timeoutMillis: 5_000,
      writer: {
        write: async () => {
          attempts++;
          throw new SaturatedError(10, 5, 1);
        },
      },
      onError: (error) => errors.push(error.message),
    });
    cleanups.push(() => s.stop());
    await s.scrapeNow();
    await s.scrapeNow();
    expect(attempts).toBe(2);
    expect(errors).toEqual([
      `points scraped from ${target.url} (job "x") were not stored: collector saturated: 10 items wait for commit (limit 5); retry after 1 s`,
    ]);
  });

  it("keeps scraping when the error handler throws", async () => {
    const url = await closedPortUrl();
    const s = startScraper({
      targets: [{ job: "down", url }],
      intervalMillis: HOUR_MILLIS,
      timeoutMillis: 5_000,
      writer: recording,
      onError: () => {
        throw new Error("handler broke");
      },
    });
    cleanups.push(() => s.stop());
    await s.scrapeNow();
    await s.scrapeNow();
    expect(written).toHaveLength(2);
  });
});
