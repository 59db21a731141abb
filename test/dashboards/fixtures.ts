/**
 * A small shop's telemetry as hand-built OTLP/JSON requests, dated relative to "now" so that every view's default
 * range shows it: a few hundred traces over the last half hour (browsing, checkouts through Kafka, failures),
 * their logs, and histogram, counter and gauge metrics. Random parts come from a seeded generator, so every run
 * (and every screenshot) sees the same shapes.
 */

export type Scalar = string | number | boolean;

export interface FixtureSpan {
  service: string;
  instance: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  durationNs: bigint;
  status?: { code: 1 | 2; message?: string };
  attributes?: Record<string, Scalar>;
  events?: { name: string; offsetNs: bigint; attributes?: Record<string, Scalar> }[];
  links?: { traceId: string; spanId: string; attributes?: Record<string, Scalar> }[];
}

export interface FixtureLog {
  service: string;
  instance: string;
  timeNs: bigint;
  severityNumber: number;
  severityText: string;
  body: string;
  traceId?: string;
  spanId?: string;
  attributes?: Record<string, Scalar>;
}

/** Ids the tests look for. */
export const KNOWN = {
  checkoutTraceId: "c0ffee00000000000000000000a11001",
  consumerTraceId: "c0ffee00000000000000000000a11002",
  producerSpanId: "0000000000a1100b",
  subMillisecondSpanId: "0000000000a11005",
  orderId: "A-1001",
  xssTraceId: "0bad0bad0bad0bad0bad0bad0bad0001",
  xssSpanId: "0bad0bad00000001",
  xss: "<img src=x onerror=alert(1)>",
  bigTraceId: "b16b16b16b16b16b16b16b16b16b1600",
  bigTraceSpans: 5_000,
} as const;

const MS = 1_000_000n;
const US = 1_000n;

/** mulberry32: a tiny seeded generator, so fixture data is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (value: number, width: number) => value.toString(16).padStart(width, "0");

function encodeValue(value: Scalar | Scalar[]): object {
  if (Array.isArray(value)) return { arrayValue: { values: value.map(encodeValue) } };
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
}

const encodeAttributes = (attributes: Record<string, Scalar> = {}) =>
  Object.entries(attributes).map(([key, value]) => ({ key, value: encodeValue(value) }));

const resource = (service: string, instance: string) => ({
  attributes: encodeAttributes({
    "service.name": service,
    "service.instance.id": instance,
    "deployment.environment.name": "fixture",
  }),
});

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

export function tracesRequest(spans: FixtureSpan[]): object {
  return {
    resourceSpans: [...groupBy(spans, (s) => `${s.service}\u0000${s.instance}`).values()].map((group) => ({
      resource: resource((group[0] as FixtureSpan).service, (group[0] as FixtureSpan).instance),
      scopeSpans: [
        {
          scope: { name: "shakedown.fixture", version: "1.0.0" },
          spans: group.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? "",
            name: s.name,
            kind: s.kind,
            startTimeUnixNano: String(s.startNs),
            endTimeUnixNano: String(s.startNs + s.durationNs),
            attributes: encodeAttributes(s.attributes),
            events: (s.events ?? []).map((e) => ({
              name: e.name,
              timeUnixNano: String(s.startNs + e.offsetNs),
              attributes: encodeAttributes(e.attributes),
            })),
            links: (s.links ?? []).map((l) => ({
              traceId: l.traceId,
              spanId: l.spanId,
              attributes: encodeAttributes(l.attributes),
            })),
            status: s.status === undefined ? {} : { code: s.status.code, message: s.status.message ?? "" },
          })),
        },
      ],
    })),
  };
}

export function logsRequest(logs: FixtureLog[]): object {
  return {
    resourceLogs: [...groupBy(logs, (l) => `${l.service}\u0000${l.instance}`).values()].map((group) => ({
      resource: resource((group[0] as FixtureLog).service, (group[0] as FixtureLog).instance),
      scopeLogs: [
        {
          scope: { name: "shakedown.fixture" },
          logRecords: group.map((l) => ({
            timeUnixNano: String(l.timeNs),
            observedTimeUnixNano: String(l.timeNs),
            severityNumber: l.severityNumber,
            severityText: l.severityText,
            body: { stringValue: l.body },
            attributes: encodeAttributes(l.attributes),
            traceId: l.traceId ?? "",
            spanId: l.spanId ?? "",
          })),
        },
      ],
    })),
  };
}

const INFO = { severityNumber: 9, severityText: "INFO" };
const WARN = { severityNumber: 13, severityText: "WARN" };
const ERROR = { severityNumber: 17, severityText: "ERROR" };

export interface ShopTelemetry {
  spans: FixtureSpan[];
  logs: FixtureLog[];
  /** The 5,000-span trace, sent on its own. */
  bigTrace: FixtureSpan[];
  metrics: object;
}

/** The shop's telemetry for the half hour before `nowMs`. */
export function shopTelemetry(nowMs: number): ShopTelemetry {
  const random = seeded(42);
  const between = (low: number, high: number) => low + (high - low) * random();
  const ms = (value: number) => BigInt(Math.round(value * 1e6));
  const spans: FixtureSpan[] = [];
  const logs: FixtureLog[] = [];
  let nextSpan = 1;
  const id = () => `5a${hex(nextSpan++, 14)}`;
  const now = BigInt(nowMs) * MS;
  const origin = now - 30n * 60_000n * MS;
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const randomHex = (digits: number) =>
    Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join("");

  const browse = (traceId: string, start: bigint) => {
    const gateway = pick(["gateway-1", "gateway-2"]);
    const catalog = pick(["catalog-1", "catalog-2"]);
    const productId = Math.floor(between(1, 500));
    const recFails = random() < 0.06;
    const catalogMs = between(1.5, 9);
    const recMs = recFails ? 250 : between(4, 30);
    const total = 1 + Math.max(catalogMs + 0.6, recMs + 1.2) + between(0.3, 2);
    const root = id();
    spans.push({
      service: "gateway",
      instance: gateway,
      traceId,
      spanId: root,
      name: "GET /products/:id",
      kind: 2,
      startNs: start,
      durationNs: ms(total),
      attributes: {
        "http.request.method": "GET",
        "http.route": "/products/:id",
        "http.response.status_code": 200,
        "product.id": productId,
      },
      events: recFails
        ? [
            {
              name: "fallback.used",
              offsetNs: ms(total - 0.5),
              attributes: { dependency: "recommendations" },
            },
          ]
        : [],
    });
    const catalogClient = id();
    spans.push({
      service: "gateway",
      instance: gateway,
      traceId,
      spanId: catalogClient,
      parentSpanId: root,
      name: "catalog.Catalog/GetProduct",
      kind: 3,
      startNs: start + ms(0.4),
      durationNs: ms(catalogMs + 0.5),
      attributes: { "rpc.system": "grpc", "rpc.service": "catalog.Catalog", "rpc.method": "GetProduct" },
    });
    const catalogServer = id();
    spans.push({
      service: "catalog",
      instance: catalog,
      traceId,
      spanId: catalogServer,
      parentSpanId: catalogClient,
      name: "catalog.Catalog/GetProduct",
      kind: 2,
      startNs: start + ms(0.6),
      durationNs: ms(catalogMs),
      attributes: { "rpc.system": "grpc", "rpc.grpc.status_code": 0 },
    });
    const hit = random() < 0.8;
    spans.push({
      service: "catalog",
      instance: catalog,
      traceId,
      spanId: id(),
      parentSpanId: catalogServer,
      name: "redis GET",
      kind: 3,
      startNs: start + ms(0.7),
      durationNs: ms(between(0.05, 0.4)),
      attributes: { "db.system.name": "redis", "db.operation.name": "GET", "cache.hit": hit },
    });
    if (!hit) {
      spans.push({
        service: "catalog",
        instance: catalog,
        traceId,
        spanId: id(),
        parentSpanId: catalogServer,
        name: "sqlite SELECT products",
        kind: 1,
        startNs: start + ms(1.3),
        durationNs: ms(catalogMs - 1),
        attributes: { "db.system.name": "sqlite", "db.operation.name": "SELECT" },
      });
    }
    const recClient = id();
    spans.push({
      service: "gateway",
      instance: gateway,
      traceId,
      spanId: recClient,
      parentSpanId: root,
      name: "recommendations.Recs/ForProduct",
      kind: 3,
      startNs: start + ms(0.5),
      durationNs: ms(recMs + 0.6),
      status: recFails ? { code: 2, message: "DEADLINE_EXCEEDED" } : undefined,
      attributes: { "rpc.system": "grpc", "rpc.service": "recommendations.Recs" },
    });
    const recServer = id();
    spans.push({
      service: "recommendations",
      instance: "recommendations-1",
      traceId,
      spanId: recServer,
      parentSpanId: recClient,
      name: "recommendations.Recs/ForProduct",
      kind: 2,
      startNs: start + ms(0.9),
      durationNs: ms(recMs),
      status: recFails ? { code: 2, message: "model backend timed out" } : undefined,
    });
    if (recFails) {
      logs.push({
        service: "gateway",
        instance: gateway,
        timeNs: start + ms(total - 0.5),
        ...WARN,
        body: `recommendations unavailable for product ${productId}: deadline exceeded, serving fallback`,
        traceId,
        spanId: root,
        attributes: { "defense.name": "breaker.recommendations" },
      });
      logs.push({
        service: "recommendations",
        instance: "recommendations-1",
        timeNs: start + ms(recMs),
        ...ERROR,
        body: "model backend timed out after 250 ms",
        traceId,
        spanId: recServer,
      });
    }
  };

  interface Checkout {
    traceId: string;
    start: bigint;
    orderId: string;
    consumerTraceId: string;
    producerSpanId?: string;
    subMillisecondSpanId?: string;
    attributes?: Record<string, Scalar>;
  }

  const checkout = (c: Checkout) => {
    const gateway = pick(["gateway-1", "gateway-2"]);
    const fails = c.orderId !== KNOWN.orderId && random() < 0.04;
    const inventoryMs = between(2, 12);
    const ordersMs = inventoryMs + between(6, 20);
    const total = ordersMs + between(2, 5);
    const root = id();
    spans.push({
      service: "gateway",
      instance: gateway,
      traceId: c.traceId,
      spanId: root,
      name: "POST /orders",
      kind: 2,
      startNs: c.start,
      durationNs: ms(total),
      status: fails ? { code: 2, message: "order rejected" } : undefined,
      attributes: {
        "http.request.method": "POST",
        "http.route": "/orders",
        "http.response.status_code": fails ? 409 : 201,
        "order.id": c.orderId,
        ...c.attributes,
      },
    });
    const ordersClient = id();
    spans.push({
      service: "gateway",
      instance: gateway,
      traceId: c.traceId,
      spanId: ordersClient,
      parentSpanId: root,
      name: "orders.Orders/PlaceOrder",
      kind: 3,
      startNs: c.start + ms(0.8),
      durationNs: ms(ordersMs + 0.6),
      status: fails ? { code: 2, message: "FAILED_PRECONDITION" } : undefined,
    });
    const ordersServer = id();
    spans.push({
      service: "orders",
      instance: "orders-1",
      traceId: c.traceId,
      spanId: ordersServer,
      parentSpanId: ordersClient,
      name: "orders.Orders/PlaceOrder",
      kind: 2,
      startNs: c.start + ms(1.1),
      durationNs: ms(ordersMs),
      status: fails ? { code: 2, message: "insufficient stock" } : undefined,
      attributes: { "order.id": c.orderId, "rpc.system": "grpc" },
    });
    spans.push({
      service: "orders",
      instance: "orders-1",
      traceId: c.traceId,
      spanId: c.subMillisecondSpanId ?? id(),
      parentSpanId: ordersServer,
      name: "redis SET idempotency-key",
      kind: 3,
      startNs: c.start + ms(1.3),
      durationNs: 12n * US + 345n,
      attributes: { "db.system.name": "redis", "db.operation.name": "SET" },
    });
    const inventoryClient = id();
    spans.push({
      service: "orders",
      instance: "orders-1",
      traceId: c.traceId,
      spanId: inventoryClient,
      parentSpanId: ordersServer,
      name: "inventory.Inventory/Reserve",
      kind: 3,
      startNs: c.start + ms(1.6),
      durationNs: ms(inventoryMs + 0.5),
      status: fails ? { code: 2, message: "FAILED_PRECONDITION" } : undefined,
    });
    spans.push({
      service: "inventory",
      instance: "inventory-1",
      traceId: c.traceId,
      spanId: id(),
      parentSpanId: inventoryClient,
      name: "inventory.Inventory/Reserve",
      kind: 2,
      startNs: c.start + ms(1.9),
      durationNs: ms(inventoryMs),
      status: fails ? { code: 2, message: "insufficient stock for sku-17" } : undefined,
      attributes: { "inventory.sku": "sku-17", "inventory.quantity": 2 },
    });
    logs.push({
      service: "orders",
      instance: "orders-1",
      timeNs: c.start + ms(ordersMs),
      ...(fails ? ERROR : INFO),
      body: fails
        ? `order ${c.orderId} rejected: insufficient stock for sku-17`
        : `order ${c.orderId} placed`,
      traceId: c.traceId,
      spanId: ordersServer,
      attributes: { "order.id": c.orderId },
    });
    if (fails) return;
    spans.push({
      service: "orders",
      instance: "orders-1",
      traceId: c.traceId,
      spanId: id(),
      parentSpanId: ordersServer,
      name: "sqlite INSERT orders, outbox",
      kind: 1,
      startNs: c.start + ms(inventoryMs + 2.6),
      durationNs: ms(between(0.8, 3)),
      attributes: { "db.system.name": "sqlite", "db.operation.name": "INSERT" },
    });
    const producer = c.producerSpanId ?? id();
    const publishAt = c.start + ms(ordersMs - 1.5);
    spans.push({
      service: "orders",
      instance: "orders-1",
      traceId: c.traceId,
      spanId: producer,
      parentSpanId: ordersServer,
      name: "orders publish",
      kind: 4,
      startNs: publishAt,
      durationNs: ms(between(0.6, 1.4)),
      attributes: {
        "messaging.system": "kafka",
        "messaging.destination.name": "orders",
        "messaging.operation.type": "send",
        "messaging.kafka.message.key": c.orderId,
      },
    });
    // The ledger's consumer starts a trace of its own per message and links it to the producer's span.
    const consumeAt = publishAt + ms(between(8, 40));
    const consumer = id();
    const applyMs = between(1, 4);
    spans.push({
      service: "ledger",
      instance: "ledger-1",
      traceId: c.consumerTraceId,
      spanId: consumer,
      name: "orders process",
      kind: 5,
      startNs: consumeAt,
      durationNs: ms(applyMs + 0.8),
      attributes: {
        "messaging.system": "kafka",
        "messaging.destination.name": "orders",
        "messaging.consumer.group.name": "ledger",
        "messaging.kafka.message.key": c.orderId,
        "messaging.kafka.offset": nextSpan,
      },
      links: [
        { traceId: c.traceId, spanId: producer, attributes: { "messaging.operation.type": "receive" } },
      ],
    });
    spans.push({
      service: "ledger",
      instance: "ledger-1",
      traceId: c.consumerTraceId,
      spanId: id(),
      parentSpanId: consumer,
      name: "sqlite apply effect and offset",
      kind: 1,
      startNs: consumeAt + ms(0.3),
      durationNs: ms(applyMs),
    });
    logs.push({
      service: "ledger",
      instance: "ledger-1",
      timeNs: consumeAt + ms(applyMs),
      ...INFO,
      body: `applied order ${c.orderId} to the ledger exactly once`,
      traceId: c.consumerTraceId,
      spanId: consumer,
      attributes: { "order.id": c.orderId },
    });
  };

  const traceCount = 240;
  for (let i = 0; i < traceCount; i++) {
    const start = origin + BigInt(i) * 7_400n * MS + ms(between(0, 3_000));
    const traceId = randomHex(32);
    if (i % 3 === 2) {
      checkout({ traceId, start, orderId: `A-${2000 + i}`, consumerTraceId: randomHex(32) });
    } else {
      browse(traceId, start);
    }
  }
  checkout({
    traceId: KNOWN.checkoutTraceId,
    start: now - 5n * 60_000n * MS,
    orderId: KNOWN.orderId,
    consumerTraceId: KNOWN.consumerTraceId,
    producerSpanId: KNOWN.producerSpanId,
    subMillisecondSpanId: KNOWN.subMillisecondSpanId,
    attributes: { "enduser.id": "alice" },
  });

  // A span attribute, an event and log records that look like markup: the UI must show them as text.
  const xssStart = now - 4n * 60_000n * MS;
  spans.push({
    service: "gateway",
    instance: "gateway-1",
    traceId: KNOWN.xssTraceId,
    spanId: KNOWN.xssSpanId,
    name: "GET /search",
    kind: 2,
    startNs: xssStart,
    durationNs: ms(3.2),
    attributes: {
      "http.request.method": "GET",
      "http.route": "/search",
      "search.query": KNOWN.xss,
      "http.response.status_code": 200,
    },
    events: [{ name: "query.parsed", offsetNs: ms(0.4), attributes: { raw: `<script>alert(2)</script>` } }],
  });
  logs.push({
    service: "gateway",
    instance: "gateway-1",
    timeNs: xssStart + ms(1),
    ...WARN,
    body: `suspicious search query: ${KNOWN.xss}`,
    traceId: KNOWN.xssTraceId,
    spanId: KNOWN.xssSpanId,
    attributes: { "search.query": KNOWN.xss },
  });
  logs.push({
    service: "gateway",
    instance: "gateway-1",
    timeNs: origin + ms(10),
    ...INFO,
    body: "gateway listening on 127.0.0.1:8080",
  });

  return { spans, logs, bigTrace: bigTrace(now - 3n * 60_000n * MS, random), metrics: metricsRequest(nowMs) };
}

/** One trace of exactly 5,000 spans: an import request fanning out to 50 batches of about 100 rows each. */
function bigTrace(start: bigint, random: () => number): FixtureSpan[] {
  const traceId = KNOWN.bigTraceId;
  const spans: FixtureSpan[] = [];
  let n = 0;
  const id = () => `b1${hex(++n, 14)}`;
  const root = id();
  spans.push({
    service: "gateway",
    instance: "gateway-1",
    traceId,
    spanId: root,
    name: "POST /admin/import",
    kind: 2,
    startNs: start,
    durationNs: 2_400n * MS,
    attributes: { "http.request.method": "POST", "http.route": "/admin/import", "batch.id": "big-5000" },
  });
  const batches = 50;
  const rowsPerBatch = Math.ceil((KNOWN.bigTraceSpans - 1 - batches) / batches);
  for (let b = 0; b < batches; b++) {
    const batch = id();
    const batchStart = start + BigInt(b) * 46n * MS + 2n * MS;
    const service = ["orders", "inventory", "catalog"][b % 3] as string;
    spans.push({
      service,
      instance: `${service}-1`,
      traceId,
      spanId: batch,
      parentSpanId: root,
      name: `import batch ${b + 1}`,
      kind: 2,
      startNs: batchStart,
      durationNs: 45n * MS,
      attributes: { "batch.index": b },
    });
    for (let r = 0; r < rowsPerBatch && spans.length < KNOWN.bigTraceSpans; r++) {
      spans.push({
        service,
        instance: `${service}-1`,
        traceId,
        spanId: id(),
        parentSpanId: batch,
        name: `upsert row ${b * rowsPerBatch + r + 1}`,
        kind: 1,
        startNs: batchStart + BigInt(r) * 440n * US + BigInt(Math.floor(random() * 100)) * US,
        durationNs: BigInt(Math.floor(120 + random() * 300)) * US,
        attributes: { "db.system.name": "sqlite", "row.index": b * rowsPerBatch + r },
      });
    }
  }
  return spans;
}

/** Metrics every 30 s for the half hour: a request-duration histogram, an order counter and memory gauges. */
function metricsRequest(nowMs: number): object {
  const random = seeded(7);
  const step = 30_000;
  const points = 60;
  const startNs = BigInt(nowMs - points * step) * MS;
  const times = Array.from({ length: points }, (_, i) => BigInt(nowMs - (points - 1 - i) * step) * MS);
  const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
  const histogram = (route: string, slow: number) => {
    const cumulative = new Array<number>(bounds.length + 1).fill(0);
    let sum = 0;
    return times.map((time, i) => {
      // A slow spell in the middle of the half hour, so the p95 line has a shape.
      const spell = i > 25 && i < 35 ? 3 : 1;
      for (let n = 0; n < 40; n++) {
        const seconds = 0.002 + random() ** 3 * slow * spell;
        sum += seconds;
        const bucket = bounds.findIndex((b) => seconds <= b);
        cumulative[bucket === -1 ? bounds.length : bucket] =
          (cumulative[bucket === -1 ? bounds.length : bucket] ?? 0) + 1;
      }
      const count = cumulative.reduce((a, b) => a + b, 0);
      return {
        attributes: encodeAttributes({
          "http.route": route,
          "http.request.method": route === "/orders" ? "POST" : "GET",
        }),
        startTimeUnixNano: String(startNs),
        timeUnixNano: String(time),
        count: String(count),
        sum,
        bucketCounts: cumulative.map(String),
        explicitBounds: bounds,
      };
    });
  };
  let placed = 0;
  const metric = (service: string, instance: string, metrics: object[]) => ({
    resource: resource(service, instance),
    scopeMetrics: [{ scope: { name: "shakedown.fixture" }, metrics }],
  });
  const memory = (base: number) =>
    times.map((time, i) => ({
      startTimeUnixNano: String(startNs),
      timeUnixNano: String(time),
      asInt: String(Math.round(base + i * 120_000 + random() * 2_000_000)),
    }));
  return {
    resourceMetrics: [
      metric("gateway", "gateway-1", [
        {
          name: "http.server.request.duration",
          unit: "s",
          description: "Duration of HTTP server requests.",
          histogram: {
            aggregationTemporality: 2,
            dataPoints: [...histogram("/products/:id", 0.06), ...histogram("/orders", 0.2)],
          },
        },
        { name: "process.memory.usage", unit: "By", gauge: { dataPoints: memory(82_000_000) } },
      ]),
      metric("orders", "orders-1", [
        {
          name: "orders.placed",
          unit: "{order}",
          description: "Orders accepted.",
          sum: {
            aggregationTemporality: 2,
            isMonotonic: true,
            dataPoints: times.map((time) => {
              placed += Math.floor(random() * 8);
              return {
                startTimeUnixNano: String(startNs),
                timeUnixNano: String(time),
                asInt: String(placed),
              };
            }),
          },
        },
        { name: "process.memory.usage", unit: "By", gauge: { dataPoints: memory(64_000_000) } },
      ]),
    ],
  };
}
