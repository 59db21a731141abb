import { join } from "node:path";
import protobuf from "protobufjs";
import { BadDataError } from "../errors.js";
import { emptyBatch, type WriteBatch } from "../model.js";
import { projectRoot } from "../paths.js";
import { normalizeLogs } from "./logs.js";
import { normalizeMetrics } from "./metrics.js";
import type { Normalized } from "./normalized.js";
import { normalizeTraces } from "./traces.js";
import type { Loose } from "./values.js";

const PROTO_DIR = join(projectRoot, "collector", "otlp", "proto");

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
root.loadSync(
  [
    ...["trace", "metrics", "logs"].map((s) => `opentelemetry/proto/collector/${s}/v1/${s}_service.proto`),
    "google/rpc/status.proto",
  ],
  { keepCase: false },
);
const statusType = root.lookupType("google.rpc.Status");

/** The error body of an OTLP/HTTP protobuf response: a google.rpc.Status. */
export function encodeStatus(grpcCode: number, message: string): Uint8Array {
  return statusType.encode({ code: grpcCode, message }).finish();
}

export type SignalName = "traces" | "metrics" | "logs";

/** Everything the HTTP and gRPC receivers need to know about one OTLP signal, in one place. */
export interface Signal {
  name: SignalName;
  httpPath: string;
  grpcPath: string;
  /** The field of the partial-success message that counts rejected items. */
  rejectedField: string;
  decodeProtobuf(body: Uint8Array): Loose;
  /** Normalises a decoded request (protobuf message or parsed OTLP/JSON) into a write batch. */
  normalize(request: Loose): { batch: WriteBatch; rejected: number; firstError: string };
  encodeResponse(rejected: number, errorMessage: string): Uint8Array;
  /** Encodes an OTLP/JSON-shaped request (hex ids) as protobuf: what an SDK would send, for load and tests. */
  encodeRequest(request: object): Uint8Array;
}

const ID_FIELDS = new Set(["traceId", "spanId", "parentSpanId"]);

/** OTLP/JSON carries ids as hex; protobufjs wants bytes. */
function idsToBytes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(idsToBytes);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      ID_FIELDS.has(key) && typeof v === "string" ? Buffer.from(v, "hex") : idsToBytes(v),
    ]),
  );
}

function signal(
  name: SignalName,
  pkg: string,
  service: string,
  rejectedField: string,
  normalize: (request: Loose) => Normalized<unknown>,
  assign: (batch: WriteBatch, groups: Normalized<unknown>["groups"]) => void,
): Signal {
  const requestType = root.lookupType(
    `opentelemetry.proto.collector.${pkg}.v1.Export${service}ServiceRequest`,
  );
  const responseType = root.lookupType(
    `opentelemetry.proto.collector.${pkg}.v1.Export${service}ServiceResponse`,
  );
  return {
    name,
    httpPath: `/v1/${name}`,
    grpcPath: `/opentelemetry.proto.collector.${pkg}.v1.${service}Service/Export`,
    rejectedField,
    decodeProtobuf(body) {
      try {
        return requestType.decode(body);
      } catch (error) {
        throw new BadDataError(
          `protobuf does not decode as ${requestType.name}: ${(error as Error).message}`,
        );
      }
    },
    normalize(request) {
      const { groups, rejected, firstError } = normalize(request);
      const batch = emptyBatch();
      assign(batch, groups);
      return { batch, rejected, firstError };
    },
    encodeResponse(rejected, errorMessage) {
      const body =
        rejected === 0 && errorMessage === ""
          ? {}
          : { partialSuccess: { [rejectedField]: rejected, errorMessage } };
      return responseType.encode(responseType.fromObject(body)).finish();
    },
    encodeRequest(request) {
      return requestType.encode(requestType.fromObject(idsToBytes(request) as object)).finish();
    },
  };
}

export const SIGNALS: readonly Signal[] = [
  signal("traces", "trace", "Trace", "rejectedSpans", normalizeTraces, (b, g) => {
    b.spans = g as WriteBatch["spans"];
  }),
  signal("metrics", "metrics", "Metrics", "rejectedDataPoints", normalizeMetrics, (b, g) => {
    b.metrics = g as WriteBatch["metrics"];
  }),
  signal("logs", "logs", "Logs", "rejectedLogRecords", normalizeLogs, (b, g) => {
    b.logs = g as WriteBatch["logs"];
  }),
];

export function signalNamed(name: SignalName): Signal {
  const found = SIGNALS.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no OTLP signal named ${name}`);
  return found;
}

/** OTLP/JSON partial-success response; int64 counts travel as strings in proto3 JSON. */
export function jsonResponse(signal: Signal, rejected: number, errorMessage: string): string {
  if (rejected === 0 && errorMessage === "") return "{}";
  return JSON.stringify({ partialSuccess: { [signal.rejectedField]: String(rejected), errorMessage } });
}
