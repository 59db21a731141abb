import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { at, from, log, ns, resource, series, startApi, valuePoint } from "./fixtures.js";
import { shopTraces } from "./shop.js";

let api: Awaited<ReturnType<typeof startApi>>;

beforeAll(async () => {
  api = await startApi([
    ...shopTraces(),
    from(resource("orders", "orders-2"), { logs: [log({ atMs: 9000, body: "second instance up" })] }),
    from(resource("node-exporter", ""), {
      metrics: [series({ name: "node.load", type: "gauge" }, [valuePoint(-1000, 1), valuePoint(7000, 2)])],
    }),
  ]);
});
afterAll(() => api.close());

describe("GET /api/services", () => {
  it("lists every service with its instances, window counts and signals", async () => {
    const { status, body } = await api.get(`/api/services?start=${at(0)}&end=${at(10_000)}`);
    expect(status).toBe(200);
    expect(body.services.map((s: { name: string }) => s.name)).toEqual([
      "catalog",
      "gateway",
      "ledger",
      "node-exporter",
      "orders",
    ]);
    const byName = Object.fromEntries(body.services.map((s: { name: string }) => [s.name, s]));
    expect(byName.orders).toEqual({
      name: "orders",
      instances: ["orders-1", "orders-2"],
      spanCount: 3,
      errorCount: 1,
      firstSeenNs: ns(10).toString(),
      lastSeenNs: ns(9000).toString(),
      signals: { traces: true, metrics: false, logs: true },
    });
    expect(byName["node-exporter"]).toEqual({
      name: "node-exporter",
      instances: [],
      spanCount: 0,
      errorCount: 0,
      firstSeenNs: ns(-1000).toString(),
      lastSeenNs: ns(7000).toString(),
      signals: { traces: false, metrics: true, logs: false },
    });
    expect(byName.gateway).toMatchObject({ spanCount: 6, errorCount: 2 });
  });

  it("counts only the spans that started in the window", async () => {
    const { body } = await api.get(`/api/services?start=${at(2000)}&end=${at(2006)}`);
    const gateway = body.services.find((s: { name: string }) => s.name === "gateway");
    expect(gateway).toMatchObject({ spanCount: 2, errorCount: 2, firstSeenNs: ns(0).toString() });
  });
});
