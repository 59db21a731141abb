import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { at, startApi } from "./fixtures.js";
import { shopTraces } from "./shop.js";

let api: Awaited<ReturnType<typeof startApi>>;

beforeAll(async () => {
  api = await startApi(shopTraces());
});
afterAll(() => api.close());

describe("GET /api/dependencies", () => {
  it("draws an edge per calling and called service with the callee's latency percentiles", async () => {
    const { status, body } = await api.get(`/api/dependencies?start=${at(0)}&end=${at(10_000)}`);
    expect(status).toBe(200);
    expect(body.edges).toEqual([
      {
        parent: "gateway",
        child: "catalog",
        calls: 1,
        errors: 0,
        p50Ms: 20,
        p95Ms: 20,
        p99Ms: 20,
        kind: "rpc",
      },
      {
        parent: "gateway",
        child: "orders",
        calls: 2,
        errors: 1,
        p50Ms: 90,
        p95Ms: 280,
        p99Ms: 280,
        kind: "rpc",
      },
      // The consumer child of the producer (30 ms), and the consumer that only links to it (50 ms); the child's
      // link to its own parent is not counted twice.
      {
        parent: "orders",
        child: "ledger",
        calls: 2,
        errors: 0,
        p50Ms: 30,
        p95Ms: 50,
        p99Ms: 50,
        kind: "messaging",
      },
    ]);
  });

  it("counts each service's entry spans and their errors as its node", async () => {
    const { body } = await api.get(`/api/dependencies?start=${at(0)}&end=${at(10_000)}`);
    expect(body.nodes).toEqual([
      { service: "catalog", calls: 2, errors: 0 },
      { service: "gateway", calls: 3, errors: 1 },
      { service: "ledger", calls: 2, errors: 0 },
      { service: "orders", calls: 2, errors: 1 },
    ]);
  });

  it("keeps to calls whose callee span started in the window", async () => {
    const { body } = await api.get(`/api/dependencies?start=${at(2000)}&end=${at(3000)}`);
    expect(body.edges).toEqual([
      {
        parent: "gateway",
        child: "orders",
        calls: 1,
        errors: 1,
        p50Ms: 280,
        p95Ms: 280,
        p99Ms: 280,
        kind: "rpc",
      },
    ]);
    expect(body.nodes).toEqual([
      { service: "gateway", calls: 1, errors: 1 },
      { service: "orders", calls: 1, errors: 1 },
    ]);
  });

  it("includes the producer of a linked message even when the producer span is older than the window", async () => {
    const { body } = await api.get(`/api/dependencies?start=${at(4000)}&end=${at(5000)}`);
    expect(body.edges).toEqual([
      {
        parent: "orders",
        child: "ledger",
        calls: 1,
        errors: 0,
        p50Ms: 50,
        p95Ms: 50,
        p99Ms: 50,
        kind: "messaging",
      },
    ]);
    expect(body.nodes).toEqual([
      { service: "ledger", calls: 1, errors: 0 },
      { service: "orders", calls: 0, errors: 0 },
    ]);
  });

  it("rejects a window whose end is not a time", async () => {
    const response = await api.get("/api/dependencies?end=now-5x");
    expect(response.status).toBe(400);
    expect(response.body.parameter).toBe("end");
  });
});
