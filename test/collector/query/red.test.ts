import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SpanRow } from "../../../collector/model.js";
import { at, BASE_MS, from, KIND, resource, STATUS, span, startApi } from "./fixtures.js";
import { shopTraces } from "./shop.js";

let api: Awaited<ReturnType<typeof startApi>>;

/** "api": 10 requests of 1..10 ms in the first second (2 failing), 20 of 1..20 ms in the third. */
function apiSpans(): SpanRow[] {
  const spans: SpanRow[] = [];
  for (let i = 1; i <= 10; i++) {
    spans.push(
      span({
        trace: `a${i}`,
        id: "s",
        name: "GET /",
        kind: KIND.server,
        startMs: 10_000 + i * 10,
        durationMs: i,
        status: i > 8 ? STATUS.error : STATUS.ok,
      }),
      // Client and internal spans of a served service are not requests to it.
      span({
        trace: `a${i}`,
        id: "c",
        parent: "s",
        name: "call",
        kind: KIND.client,
        startMs: 10_000 + i * 10,
        durationMs: 1,
      }),
    );
  }
  for (let i = 1; i <= 20; i++) {
    spans.push(
      span({
        trace: `b${i}`,
        id: "s",
        name: "GET /",
        kind: KIND.server,
        startMs: 12_000 + i * 10,
        durationMs: i,
      }),
    );
  }
  return spans;
}

/** "worker" records only internal spans: a root, its child, and a job called from the gateway. */
function workerSpans(): SpanRow[] {
  return [
    span({ trace: "tick", id: "w1", name: "tick", startMs: 20_100, durationMs: 8 }),
    span({ trace: "tick", id: "w2", parent: "w1", name: "step", startMs: 20_101, durationMs: 4 }),
    span({
      trace: "browse",
      id: "w3",
      parent: "b2",
      name: "job",
      startMs: 20_200,
      durationMs: 6,
      status: STATUS.error,
    }),
  ];
}

beforeAll(async () => {
  api = await startApi([
    ...shopTraces(),
    from(resource("api"), { spans: apiSpans() }),
    from(resource("worker"), { spans: workerSpans() }),
  ]);
});
afterAll(() => api.close());

describe("GET /api/red", () => {
  it("computes rate, errors and nearest-rank latency percentiles per step from server spans", async () => {
    const { status, body } = await api.get(
      `/api/red?service=api&start=${at(10_000)}&end=${at(13_000)}&step=1s`,
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      service: "api",
      stepMs: 1000,
      buckets: [
        {
          startMs: BASE_MS + 10_000,
          rate: 10,
          requests: 10,
          errors: 2,
          errorRatio: 0.2,
          p50Ms: 5,
          p95Ms: 10,
          p99Ms: 10,
        },
        {
          startMs: BASE_MS + 11_000,
          rate: 0,
          requests: 0,
          errors: 0,
          errorRatio: null,
          p50Ms: null,
          p95Ms: null,
          p99Ms: null,
        },
        {
          startMs: BASE_MS + 12_000,
          rate: 20,
          requests: 20,
          errors: 0,
          errorRatio: 0,
          p50Ms: 10,
          p95Ms: 19,
          p99Ms: 20,
        },
      ],
    });
  });

  it("aligns buckets to the step and rates edge buckets over their part inside the window", async () => {
    const { body } = await api.get(`/api/red?service=api&start=${at(10_050)}&end=${at(12_500)}&step=1000`);
    expect(body.buckets.map((b: { startMs: number }) => b.startMs - BASE_MS)).toEqual([
      10_000, 11_000, 12_000,
    ]);
    // Spans at 10 050..10 100 ms (6 in 0.95 s) and 12 010..12 200 ms (20 in 0.5 s).
    expect(body.buckets[0]).toMatchObject({ requests: 6, rate: 6 / 0.95 });
    expect(body.buckets[2]).toMatchObject({ requests: 20, rate: 40 });
  });

  it("defaults to about 60 buckets over the window", async () => {
    const { body } = await api.get(`/api/red?service=api&start=${at(0)}&end=${at(3_600_000)}`);
    expect(body.stepMs).toBe(60_000);
    expect(body.buckets).toHaveLength(60);
    expect(body.buckets[0]).toMatchObject({ requests: 30, errors: 2 });
  });

  it("counts roots and spans called from other services for a service without server spans", async () => {
    const { body } = await api.get(`/api/red?service=worker&start=${at(20_000)}&end=${at(21_000)}&step=1s`);
    expect(body.buckets).toEqual([
      {
        startMs: BASE_MS + 20_000,
        rate: 2,
        requests: 2,
        errors: 1,
        errorRatio: 0.5,
        p50Ms: 6,
        p95Ms: 8,
        p99Ms: 8,
      },
    ]);
  });

  it("counts consumer spans as the entry spans of a messaging service", async () => {
    const { body } = await api.get(`/api/red?service=ledger&start=${at(0)}&end=${at(5000)}&step=5s`);
    expect(body.buckets).toEqual([
      { startMs: BASE_MS, rate: 0.4, requests: 2, errors: 0, errorRatio: 0, p50Ms: 30, p95Ms: 50, p99Ms: 50 },
    ]);
  });

  it("requires a service and a sane step", async () => {
    for (const [query, parameter] of [
      [`start=${at(0)}&end=${at(1000)}`, "service"],
      [`service=api&start=${at(0)}&end=${at(1000)}&step=0`, "step"],
      [`service=api&start=${at(0)}&end=${at(1000)}&step=fast`, "step"],
      [`service=api&start=${at(0)}&end=${at(86_400_000)}&step=1ms`, "step"],
    ]) {
      const response = await api.get(`/api/red?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.parameter).toBe(parameter);
    }
  });
});
