import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../collector/collector.js";
import { encodeProtobuf, hexId, post } from "../helpers/otlp.js";

// biome-ignore lint/suspicious/noExplicitAny: API answers are checked field by field below.
type Json = any;

/**
 * The OpenTelemetry JS SDK records no exemplars, so these requests are built by hand in OTLP/JSON and sent both
 * as JSON and encoded as protobuf.
 */
function metricsRequest(service: string, traceId: string, spanId: string): object {
  const now = BigInt(Date.now()) * 1_000_000n;
  const exemplar = (value: object) => ({
    ...value,
    timeUnixNano: String(now - 5n),
    traceId,
    spanId,
    filteredAttributes: [{ key: "user.id", value: { stringValue: "alice" } }],
  });
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
        scopeMetrics: [
          {
            scope: { name: "exemplar.test" },
            metrics: [
              {
                name: "http.server.request.duration",
                unit: "s",
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      attributes: [{ key: "http.route", value: { stringValue: "/orders" } }],
                      startTimeUnixNano: String(now - 60_000_000_000n),
                      timeUnixNano: String(now),
                      count: "3",
                      sum: 1.5,
                      bucketCounts: ["1", "1", "1"],
                      explicitBounds: [0.1, 1],
                      exemplars: [exemplar({ asDouble: 1.2 })],
                    },
                  ],
                },
              },
              {
                name: "orders.created",
                sum: {
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: [
                    {
                      startTimeUnixNano: String(now - 1_000_000_000n),
                      timeUnixNano: String(now),
                      asInt: "9007199254740993",
                      exemplars: [exemplar({ asInt: "7" })],
                    },
                  ],
                },
              },
              {
                name: "rpc.latency.summary",
                summary: {
                  dataPoints: [
                    {
                      timeUnixNano: String(now),
                      count: "10",
                      sum: 4.2,
                      quantileValues: [
                        { quantile: 0.5, value: 0.3 },
                        { quantile: 0.99, value: 1.1 },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe.each(["json", "protobuf"] as const)("metric exemplars and summaries sent as OTLP/%s", (encoding) => {
  let collector: Collector;
  const service = `exemplars-${encoding}`;
  const traceId = hexId(16);
  const spanId = hexId(8);
  const api = async (path: string): Promise<Json> => (await fetch(`${collector.urls.api}${path}`)).json();

  beforeAll(async () => {
    collector = await startCollector({
      ...DEFAULT_COLLECTOR_OPTIONS,
      dbPath: join(mkdtempSync(join(tmpdir(), "shakedown-exemplars-")), "collector.db"),
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      apiPort: 0,
    });
    const request = metricsRequest(service, traceId, spanId);
    const response =
      encoding === "json"
        ? await post(`${collector.urls.otlpHttp}/v1/metrics`, JSON.stringify(request), "application/json")
        : await post(
            `${collector.urls.otlpHttp}/v1/metrics`,
            encodeProtobuf("metrics", request),
            "application/x-protobuf",
          );
    expect(response.status).toBe(200);
  });

  afterAll(async () => {
    await collector.close();
  });

  const pointsOf = async (name: string) => {
    const { series } = await api(`/api/metrics?service=${service}&name=${name}`);
    expect(series).toHaveLength(1);
    return (await api(`/api/metrics/series/${series[0].id}/points`)).points;
  };

  it("keeps a histogram point's exemplar with its trace, span, value and filtered attributes", async () => {
    const [point] = await pointsOf("http.server.request.duration");
    expect(point).toMatchObject({ count: 3, sum: 1.5, bucketCounts: [1, 1, 1], explicitBounds: [0.1, 1] });
    expect(point.exemplars).toEqual([
      expect.objectContaining({
        traceId,
        spanId,
        value: 1.2,
        valueIsInt: false,
        filteredAttributes: { "user.id": "alice" },
      }),
    ]);
  });

  it("keeps an integer sum's exemplar as an integer", async () => {
    const [point] = await pointsOf("orders.created");
    expect(point.int).toBe(true);
    expect(point.exemplars[0]).toMatchObject({ value: 7, valueIsInt: true, traceId });
  });

  it("keeps a summary's quantiles, count and sum", async () => {
    const [point] = await pointsOf("rpc.latency.summary");
    expect(point).toMatchObject({
      count: 10,
      sum: 4.2,
      quantiles: [
        { quantile: 0.5, value: 0.3 },
        { quantile: 0.99, value: 1.1 },
      ],
    });
  });
});
