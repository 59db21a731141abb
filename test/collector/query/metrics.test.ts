import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { at, BASE_MS, from, histogramPoint, ns, resource, series, startApi, valuePoint } from "./fixtures.js";

let api: Awaited<ReturnType<typeof startApi>>;
const CUMULATIVE = 2;
const DELTA = 1;
const BOUNDS = [10, 50, 100];

beforeAll(async () => {
  api = await startApi([
    from(resource("api", "api-1"), {
      metrics: [
        // A counter seen once before the window, then reset at 40 s by a restart (a new start time).
        series(
          {
            name: "http.server.requests",
            type: "sum",
            monotonic: true,
            temporality: CUMULATIVE,
            labels: { route: "/a", code: "200" },
          },
          [
            valuePoint(-5000, 5, -60_000),
            valuePoint(10_000, 10, -60_000),
            valuePoint(20_000, 20, -60_000),
            valuePoint(30_000, 30, -60_000),
            valuePoint(40_000, 5, 35_000),
            valuePoint(50_000, 15, 35_000),
          ],
        ),
        series(
          {
            name: "http.server.duration",
            type: "histogram",
            unit: "ms",
            temporality: CUMULATIVE,
            labels: { route: "/a" },
          },
          [
            histogramPoint(-5000, BOUNDS, [1, 1, 0, 0], -60_000),
            histogramPoint(30_000, BOUNDS, [5, 11, 2, 0], -60_000),
          ],
        ),
        series(
          {
            name: "http.server.duration",
            type: "histogram",
            unit: "ms",
            temporality: CUMULATIVE,
            labels: { route: "/b" },
          },
          [
            histogramPoint(-5000, BOUNDS, [0, 0, 0, 0], -60_000),
            histogramPoint(30_000, BOUNDS, [0, 10, 8, 2], -60_000),
          ],
        ),
        series(
          {
            name: "jobs.done",
            type: "sum",
            monotonic: true,
            temporality: CUMULATIVE,
            labels: { queue: "new" },
          },
          [valuePoint(10_000, 4, 5000), valuePoint(20_000, 6, 5000)],
        ),
        series(
          {
            name: "jobs.done",
            type: "sum",
            monotonic: true,
            temporality: CUMULATIVE,
            labels: { queue: "old" },
          },
          [valuePoint(10_000, 100, -100_000), valuePoint(20_000, 103, -100_000)],
        ),
      ],
    }),
    from(resource("api", "api-2"), {
      metrics: [
        series(
          {
            name: "http.server.requests",
            type: "sum",
            monotonic: true,
            temporality: DELTA,
            labels: { route: "/b", code: "500" },
          },
          [valuePoint(10_000, 3, 0), valuePoint(40_000, 4, 10_000)],
        ),
      ],
    }),
    from(resource("worker", "worker-1"), {
      metrics: [
        series({ name: "queue.depth", type: "gauge" }, [
          valuePoint(0, 2),
          valuePoint(10_000, 4),
          valuePoint(20_000, 6),
        ]),
      ],
    }),
    from(resource("worker", "worker-2"), {
      metrics: [
        series({ name: "queue.depth", type: "gauge" }, [valuePoint(5000, 10), valuePoint(15_000, 20)]),
      ],
    }),
  ]);
});
afterAll(() => api.close());

type Series = { labels: Record<string, unknown>; points: { t: number; v: number }[] };

async function query(params: string): Promise<Series[]> {
  const response = await api.get(`/api/metrics/query?${params}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.series;
}

/** Each series as "label=value,..." → [offset from BASE_MS, value][]. */
function byLabels(list: Series[]): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  for (const s of list) {
    const key = Object.entries(s.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    out[key] = s.points.map((p) => [p.t - BASE_MS, p.v]);
  }
  return out;
}

describe("GET /api/metrics", () => {
  it("lists every series with its metadata and point count", async () => {
    const { status, body } = await api.get("/api/metrics");
    expect(status).toBe(200);
    expect(body.series.map((s: { name: string }) => s.name)).toEqual([
      "http.server.duration",
      "http.server.duration",
      "http.server.requests",
      "http.server.requests",
      "jobs.done",
      "jobs.done",
      "queue.depth",
      "queue.depth",
    ]);
    const counter = body.series.find(
      (s: { type: string; labels: { route?: string } }) => s.labels.route === "/a" && s.type === "sum",
    );
    expect(counter).toEqual({
      id: expect.any(Number),
      name: "http.server.requests",
      type: "sum",
      unit: "1",
      description: "http.server.requests for tests",
      temporality: "cumulative",
      monotonic: true,
      service: "api",
      labels: { route: "/a", code: "200" },
      resource: { "service.name": "api", "service.instance.id": "api-1" },
      points: 6,
      firstNs: ns(-5000).toString(),
      lastNs: ns(50_000).toString(),
    });
  });

  it("filters the list by name and by service", async () => {
    const named = await api.get("/api/metrics?name=queue.depth");
    expect(named.body.series).toHaveLength(2);
    const served = await api.get("/api/metrics?service=worker");
    expect(
      served.body.series.map((s: { resource: Record<string, string> }) => s.resource["service.instance.id"]),
    ).toEqual(["worker-1", "worker-2"]);
    expect((await api.get("/api/metrics?name=nothing")).body.series).toEqual([]);
  });
});

describe("GET /api/metrics/query", () => {
  const minute = `start=${at(0)}&end=${at(60_000)}`;
  const halfMinute = `start=${at(0)}&end=${at(30_000)}&step=30s`;

  it("returns the last value per step by default, one series per stream", async () => {
    const response = await api.get(`/api/metrics/query?name=queue.depth&${halfMinute}`);
    expect(response.body).toEqual({
      name: "queue.depth",
      fn: "raw",
      stepMs: 30_000,
      series: [
        {
          labels: { "service.name": "worker", "service.instance.id": "worker-1" },
          points: [{ t: BASE_MS, v: 6 }],
        },
        {
          labels: { "service.name": "worker", "service.instance.id": "worker-2" },
          points: [{ t: BASE_MS, v: 20 }],
        },
      ],
    });
  });

  it("aggregates the points of each step with avg, max, min and sum", async () => {
    const expected = { avg: [4, 15], max: [6, 20], min: [2, 10], sum: [12, 30] };
    for (const [fn, [first, second]] of Object.entries(expected)) {
      const result = byLabels(await query(`name=queue.depth&${halfMinute}&fn=${fn}`));
      expect(result, fn).toEqual({
        "service.name=worker,service.instance.id=worker-1": [[0, first]],
        "service.name=worker,service.instance.id=worker-2": [[0, second]],
      });
    }
  });

  it("aggregates all points of a group when grouped by a label", async () => {
    const expected = { raw: 26, avg: 8.4, max: 20, min: 2, sum: 42 };
    for (const [fn, value] of Object.entries(expected)) {
      const result = byLabels(await query(`name=queue.depth&${halfMinute}&fn=${fn}&by=service.name`));
      expect(result, fn).toEqual({ "service.name=worker": [[0, value]] });
    }
  });

  it("computes a per-second rate across a counter reset", async () => {
    const result = byLabels(
      await query(`name=http.server.requests&labels.route=/a&${minute}&step=1m&fn=rate`),
    );
    // 5 (from the point before the window) + 10 + 10, then 5 after the reset to 5, then + 10.
    expect(result).toEqual({
      "service.name=api,service.instance.id=api-1,route=/a,code=200": [[0, 40 / 60]],
    });
  });

  it("computes increases per step for cumulative and delta sums", async () => {
    const result = byLabels(
      await query(`name=http.server.requests&start=${at(0)}&end=${at(60_000)}&step=30s&fn=increase`),
    );
    expect(result).toEqual({
      "service.name=api,service.instance.id=api-1,route=/a,code=200": [
        [0, 15],
        [30_000, 25],
      ],
      "service.name=api,service.instance.id=api-2,route=/b,code=500": [
        [0, 3],
        [30_000, 4],
      ],
    });
  });

  it("sums series across the labels not named in by", async () => {
    expect(byLabels(await query(`name=http.server.requests&${minute}&step=1m&fn=increase&by=code`))).toEqual({
      "code=200": [[0, 40]],
      "code=500": [[0, 7]],
    });
    expect(
      byLabels(await query(`name=http.server.requests&${minute}&step=1m&fn=increase&by=service.name`)),
    ).toEqual({ "service.name=api": [[0, 47]] });
  });

  it("counts a counter's whole value only when its stream started inside the window", async () => {
    const result = byLabels(await query(`name=jobs.done&${minute}&step=1m&fn=increase&by=queue`));
    // "new" started at 5 s: 4 then +2; "old" started before the window with no earlier point: only +3 is known.
    expect(result).toEqual({ "queue=new": [[0, 6]], "queue=old": [[0, 3]] });
  });

  it("reads a histogram's count as its value", async () => {
    const raw = byLabels(await query(`name=http.server.duration&${minute}&step=1m&by=route`));
    expect(raw).toEqual({ "route=/a": [[0, 18]], "route=/b": [[0, 20]] });
    const rate = byLabels(await query(`name=http.server.duration&${minute}&step=1m&fn=rate&by=route`));
    expect(rate["route=/a"]).toEqual([[0, 16 / 60]]);
  });

  it("interpolates a quantile inside the bucket from merged histogram increases", async () => {
    // Increases over the window: /a [4, 10, 2, 0], /b [0, 10, 8, 2] → merged [4, 20, 10, 2], 36 observations.
    // The 0.9 rank is 32.4, in (50, 100] where 24 lie below and 10 inside: 50 + 50 × 8.4 / 10 = 92.
    const response = await api.get(
      `/api/metrics/query?name=http.server.duration&${minute}&step=1m&fn=quantile&q=0.9`,
    );
    expect(response.body).toEqual({
      name: "http.server.duration",
      fn: "quantile",
      stepMs: 60_000,
      series: [{ labels: {}, points: [{ t: BASE_MS, v: 92 }] }],
    });
  });

  it("computes a quantile per group when grouped", async () => {
    const result = byLabels(
      await query(`name=http.server.duration&${minute}&step=1m&fn=quantile&q=0.5&by=route`),
    );
    // /a: rank 8 of 16 → 10 + 40 × (8 − 4) / 10 = 26; /b: rank 10 of 20 → 10 + 40 × 10 / 10 = 50.
    expect(result).toEqual({ "route=/a": [[0, 26]], "route=/b": [[0, 50]] });
  });

  it("returns no series for a metric that does not exist", async () => {
    expect(await query(`name=missing&${minute}`)).toEqual([]);
  });

  it("rejects a missing name, an unknown fn, and a fn that does not fit the metric", async () => {
    for (const [params, parameter] of [
      [minute, "name"],
      [`name=queue.depth&fn=median`, "fn"],
      [`name=queue.depth&fn=rate`, "fn"],
      [`name=http.server.requests&fn=quantile&q=0.5`, "fn"],
      [`name=http.server.duration&fn=quantile`, "q"],
      [`name=http.server.requests&fn=rate&q=0.5`, "q"],
      [`name=http.server.duration&fn=quantile&q=1.5`, "q"],
      [`name=queue.depth&by=a,,b`, "by"],
      [`name=queue.depth&step=10x`, "step"],
    ]) {
      const response = await api.get(`/api/metrics/query?${params}`);
      expect(response.status, params).toBe(400);
      expect(response.body).toMatchObject({ status: 400, parameter });
    }
    const gauge = await api.get("/api/metrics/query?name=queue.depth&fn=rate");
    expect(gauge.body.detail).toBe(
      'parameter "fn" cannot be rate: it needs a monotonic sum, a histogram or a summary, but "queue.depth" is a gauge',
    );
  });
});
