import { randomBytes } from "node:crypto";
import type { ResourceRow, ScopedRows, ScopeRow, SpanRow } from "../collector/model.js";

/** Synthetic spans shaped like an instrumented HTTP service's, for benchmarks. */

export const benchResource = (service: string): ResourceRow => ({
  attributes: JSON.stringify({ "service.name": service, "service.instance.id": `${service}-1` }),
  droppedAttributesCount: 0,
  schemaUrl: "",
  serviceName: service,
  serviceInstanceId: `${service}-1`,
});

export const benchScope: ScopeRow = {
  name: "bench",
  version: "1",
  attributes: "{}",
  droppedAttributesCount: 0,
  schemaUrl: "",
};

export function spanRows(count: number, startNs: bigint, tracesOf = 8): SpanRow[] {
  const rows: SpanRow[] = [];
  let traceId = "";
  let rootId = "";
  for (let i = 0; i < count; i++) {
    if (i % tracesOf === 0) {
      traceId = randomBytes(16).toString("hex");
      rootId = "";
    }
    const spanId = randomBytes(8).toString("hex");
    const start = startNs + BigInt(i) * 1000n;
    rows.push({
      traceId,
      spanId,
      parentSpanId: rootId,
      traceState: "",
      flags: 1,
      name: i % tracesOf === 0 ? "GET /products/:id" : "catalog.GetProduct",
      kind: i % tracesOf === 0 ? 2 : 3,
      startTimeUnixNano: start,
      endTimeUnixNano: start + 250_000n,
      attributes: JSON.stringify({
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "url.path": "/p/7",
      }),
      droppedAttributesCount: 0,
      events: "[]",
      droppedEventsCount: 0,
      links: "[]",
      droppedLinksCount: 0,
      statusCode: 0,
      statusMessage: "",
    });
    if (rootId === "") rootId = spanId;
  }
  return rows;
}

export function spanGroup(service: string, rows: SpanRow[]): ScopedRows<SpanRow> {
  return { resource: benchResource(service), scope: benchScope, rows };
}

/** The same spans as an OTLP/JSON request object (ids hex, times decimal strings). */
export function otlpRequest(service: string, rows: SpanRow[]): object {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: service } },
            { key: "service.instance.id", value: { stringValue: `${service}-1` } },
          ],
        },
        scopeSpans: [
          {
            scope: { name: "bench", version: "1" },
            spans: rows.map((r) => ({
              traceId: r.traceId,
              spanId: r.spanId,
              parentSpanId: r.parentSpanId,
              name: r.name,
              kind: r.kind,
              flags: r.flags,
              startTimeUnixNano: String(r.startTimeUnixNano),
              endTimeUnixNano: String(r.endTimeUnixNano),
              attributes: [
                { key: "http.request.method", value: { stringValue: "GET" } },
                { key: "http.response.status_code", value: { intValue: "200" } },
                { key: "url.path", value: { stringValue: "/p/7" } },
              ],
            })),
          },
        ],
      },
    ],
  };
}
