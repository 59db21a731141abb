import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteTelemetry } from "../../../chaos/experiment/sqlite-telemetry.js";
import { freePort } from "../../../chaos/ports.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../../collector/collector.js";
import { shopService } from "../../../fixtures/shop/runtime/proto.js";
import { etcdNode, redisNode, serviceNode } from "../../../fixtures/shop/topology/nodes.js";

// biome-ignore lint/suspicious/noExplicitAny: a generated gRPC client is untyped.
type Client = any;

const call = (client: Client, method: string, request: object) =>
  new Promise<Record<string, unknown>>((resolve, reject) =>
    client[method](
      request,
      { deadline: Date.now() + 5000 },
      (error: ServiceError | null, response: Record<string, unknown>) =>
        error ? reject(error) : resolve(response),
    ),
  );

describe("the catalog service in a supervised topology", () => {
  const supervisor = new Supervisor();
  let collector: Collector;
  let etcdEndpoint: string;
  let collectorDb: string;
  const started = Date.now();
  const grpcPorts: number[] = [];
  const adminPorts: number[] = [];

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "shakedown-catalog-"));
    collectorDb = join(dataDir, "collector.db");
    collector = await startCollector({
      ...DEFAULT_COLLECTOR_OPTIONS,
      dbPath: collectorDb,
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      apiPort: 0,
    });
    const redisPort = await freePort();
    const etcd = { name: "etcd-1", clientPort: await freePort(), peerPort: await freePort() };
    etcdEndpoint = `http://127.0.0.1:${etcd.clientPort}`;
    for (let i = 0; i < 2; i++) {
      grpcPorts.push(await freePort());
      adminPorts.push(await freePort());
    }
    await supervisor.start([
      redisNode("redis-1", dataDir, redisPort),
      etcdNode(etcd, [etcd], dataDir),
      ...[0, 1].map((i) =>
        serviceNode({
          service: "catalog",
          grpcService: "Catalog",
          instanceId: `catalog-${i + 1}`,
          dataDir,
          grpcPort: grpcPorts[i] as number,
          adminPort: adminPorts[i] as number,
          otlpEndpoint: collector.urls.otlpHttp,
          env: { SHOP_REDIS_URL: `redis://127.0.0.1:${redisPort}`, SHOP_ETCD_ENDPOINTS: etcdEndpoint },
          dependsOn: ["redis-1", "etcd-1"],
        }),
      ),
    ]);
  });

  afterAll(async () => {
    await supervisor.stopAll();
    await collector.close();
  });

  it("serves products, refuses unknown ids with NOT_FOUND, and counts database reads once per product", async () => {
    const Catalog = shopService("Catalog");
    const client = new Catalog(`127.0.0.1:${grpcPorts[0]}`, credentials.createInsecure());
    const first = await call(client, "getProduct", { id: "7" });
    expect(first.product).toMatchObject({ id: "7", priceCents: expect.any(Number) });
    await call(client, "getProduct", { id: "7" });
    await expect(call(client, "getProduct", { id: "no-such-product" })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await expect(call(client, "getProduct", { id: "" })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    const page = await call(client, "listProducts", { page: 2, pageSize: 10 });
    expect((page.products as { id: string }[]).map((p) => p.id)[0]).toBe("11");
    expect(page.total).toBe(200);
    client.close();

    const metrics = await (await fetch(`http://127.0.0.1:${adminPorts[0]}/metrics`)).text();
    expect(metrics).toMatch(/shakedown_catalog_db_queries_total\{operation="get_product"\} 1\b/);
  });

  it("records each database read as a sqlite client span of the replica that made it", async () => {
    const telemetry = new SqliteTelemetry(new Database(collectorDb, { readonly: true }));
    const window = { startMillis: started, endMillis: Date.now() + 60_000 };
    const reads = (attributes: Record<string, string | number>) =>
      telemetry.spanStarts(
        { service: "catalog", name: "SELECT products", kind: "client", attributes },
        window,
      );
    // Spans leave every 0.5 s (OTEL_BSP_SCHEDULE_DELAY); 200 polls of 50 ms bound the wait.
    for (let poll = 0; poll < 200; poll++) {
      if ((await reads({ "db.system.name": "sqlite" })).spans.length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Product 7 was read once (the second call hit the cache); the unknown id never reached the database.
    const byId = await reads({ "db.system.name": "sqlite", "db.response.returned_rows": 1 });
    expect(byId.spans.map((span) => span.instance)).toEqual(["catalog-1"]);
    const listed = await reads({ "db.response.returned_rows": 10 });
    expect(listed.spans).toHaveLength(1);
    expect((await reads({ "db.response.returned_rows": 0 })).spans).toEqual([]);
  });

  it("registers both replicas in etcd under /services/catalog/", async () => {
    const etcd = new Etcd3({ hosts: etcdEndpoint });
    const keys = await etcd.getAll().prefix("/services/catalog/").keys();
    etcd.close();
    expect(keys.sort()).toEqual(["/services/catalog/catalog-1", "/services/catalog/catalog-2"]);
  });

  it("fails every call while an injected 100% error fault is set, and recovers when it is cleared", async () => {
    const control = `http://127.0.0.1:${adminPorts[1]}/control/fault`;
    await fetch(control, {
      method: "PUT",
      body: JSON.stringify({ errorRate: 1, operations: ["GetProduct"] }),
    });
    const Catalog = shopService("Catalog");
    const client = new Catalog(`127.0.0.1:${grpcPorts[1]}`, credentials.createInsecure());
    await expect(call(client, "getProduct", { id: "3" })).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await fetch(control, { method: "DELETE" });
    await expect(call(client, "getProduct", { id: "3" })).resolves.toMatchObject({ product: { id: "3" } });
    client.close();
  });
});
