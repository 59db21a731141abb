/**
 * The collector's internal records: OTLP data normalised once on the receiving thread into the row shapes the
 * store writes. Attribute maps, events, links and histogram details are already JSON text here, so the hop to
 * the writer thread clones flat strings instead of object graphs.
 */

/** OTLP AnyValue as plain JSON: kvlists become objects, arrays stay arrays, bytes become base64 strings. */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface ResourceRow {
  /** JSON of the attribute map. */
  attributes: string;
  droppedAttributesCount: number;
  schemaUrl: string;
  /** `service.name` from the attributes, denormalised because every query filters by it. */
  serviceName: string;
  serviceInstanceId: string;
}

export interface ScopeRow {
  name: string;
  version: string;
  attributes: string;
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface SpanEvent {
  timeUnixNano: string;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

export interface SpanRow {
  /** Lowercase hex, 32 characters. */
  traceId: string;
  /** Lowercase hex, 16 characters. */
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: string;
  droppedAttributesCount: number;
  /** JSON array of SpanEvent. */
  events: string;
  droppedEventsCount: number;
  /** JSON array of SpanLink. */
  links: string;
  droppedLinksCount: number;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
}

export const METRIC_TYPES = ["gauge", "sum", "histogram", "exponential_histogram", "summary"] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

/** One metric stream: a metric name plus one point attribute set, within one resource and scope. */
export interface SeriesRow {
  name: string;
  description: string;
  unit: string;
  type: MetricType;
  /** OTLP AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
  temporality: number;
  monotonic: boolean;
  /** JSON of the point attributes (Prometheus labels for scraped series). */
  attributes: string;
  /** JSON of the metric's metadata key-values. */
  metadata: string;
}

export interface Exemplar {
  filteredAttributes: Attributes;
  timeUnixNano: string;
  value: number;
  valueIsInt: boolean;
  spanId: string;
  traceId: string;
}

/** The shape-specific part of a point, kept as JSON in one column. */
export interface PointDetail {
  /** Set when a gauge or sum point carried `as_int`. */
  int?: boolean;
  bucketCounts?: number[];
  explicitBounds?: number[];
  scale?: number;
  zeroCount?: number;
  zeroThreshold?: number;
  positive?: { offset: number; bucketCounts: number[] };
  negative?: { offset: number; bucketCounts: number[] };
  quantiles?: { quantile: number; value: number }[];
}

export interface PointRow {
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** Gauge and sum value; null for the distribution types. */
  value: number | null;
  count: number | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  flags: number;
  /** JSON of PointDetail, or null when there is none. */
  detail: string | null;
  /** JSON array of Exemplar, or null when there are none. */
  exemplars: string | null;
}

export interface SeriesPoints {
  series: SeriesRow;
  points: PointRow[];
}

export interface LogRow {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  /** JSON of the body AnyValue (a string body is a JSON string). */
  body: string;
  /** The body as plain text for full-text search. */
  bodyText: string;
  attributes: string;
  droppedAttributesCount: number;
  flags: number;
  traceId: string;
  spanId: string;
  eventName: string;
}

/** Records that share one resource and one instrumentation scope. */
export interface ScopedRows<T> {
  resource: ResourceRow;
  scope: ScopeRow;
  rows: T[];
}

/** One unit of work for the writer: everything one request carried. */
export interface WriteBatch {
  spans: ScopedRows<SpanRow>[];
  metrics: ScopedRows<SeriesPoints>[];
  logs: ScopedRows<LogRow>[];
}

export function emptyBatch(): WriteBatch {
  return { spans: [], metrics: [], logs: [] };
}

export function batchSize(batch: WriteBatch): number {
  let size = 0;
  for (const group of batch.spans) size += group.rows.length;
  for (const group of batch.metrics) for (const series of group.rows) size += series.points.length;
  for (const group of batch.logs) size += group.rows.length;
  return size;
}
