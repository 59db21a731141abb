import type { LogRow, ScopedRows, ScopeRow } from "../model.js";
import type { StoreWriter } from "../store/writer.js";

/**
 * Stores what supervised nodes print as log records, so a node that never initialised its telemetry (a JVM,
 * etcd, a crash at start-up) still leaves its words in the run's database.
 */
export interface ProcessLogSink {
  line(node: { name: string; role: string; pid: number }, stream: "stdout" | "stderr", text: string): void;
  /** Writes what is buffered; resolves once committed. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Lines dropped because the buffer was full or the store refused them. */
  dropped(): number;
  /** What a flush or close still waits for ("120 lines handed to the store, not settled"), or "". */
  describePending(): string;
}

export interface ProcessLogSinkOptions {
  flushIntervalMillis: number;
  maxBufferedLines: number;
}

const SCOPE: ScopeRow = {
  name: "shakedown.process-output",
  version: "1",
  attributes: "{}",
  droppedAttributesCount: 0,
  schemaUrl: "",
};

/** pino's numeric levels to OpenTelemetry severity numbers. */
const PINO_SEVERITY: Record<number, [number, string]> = {
  10: [1, "TRACE"],
  20: [5, "DEBUG"],
  30: [9, "INFO"],
  40: [13, "WARN"],
  50: [17, "ERROR"],
  60: [21, "FATAL"],
};

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

function row(stream: "stdout" | "stderr", pid: number, text: string, nowNs: bigint): LogRow {
  let severity: [number, string] = [0, ""];
  let traceId = "";
  let spanId = "";
  if (text.startsWith("{")) {
    try {
      const parsed = JSON.parse(text) as { level?: number; trace_id?: string; span_id?: string };
      severity = PINO_SEVERITY[parsed.level ?? -1] ?? severity;
      if (typeof parsed.trace_id === "string" && HEX32.test(parsed.trace_id)) traceId = parsed.trace_id;
      if (typeof parsed.span_id === "string" && HEX16.test(parsed.span_id)) spanId = parsed.span_id;
    } catch {
      // Not JSON after all: stored as plain text.
    }
  }
  return {
    timeUnixNano: nowNs,
    observedTimeUnixNano: nowNs,
    severityNumber: severity[0],
    severityText: severity[1],
    body: JSON.stringify(text),
    bodyText: text,
    attributes: JSON.stringify({ "log.iostream": stream, "process.pid": pid }),
    droppedAttributesCount: 0,
    flags: 0,
    traceId,
    spanId: traceId === "" ? "" : spanId,
    eventName: "",
  };
}

export function createProcessLogSink(
  writer: StoreWriter,
  options: ProcessLogSinkOptions = { flushIntervalMillis: 250, maxBufferedLines: 20_000 },
): ProcessLogSink {
  let groups = new Map<string, ScopedRows<LogRow>>();
  let buffered = 0;
  let dropped = 0;
  let unsettled = 0;
  let closed = false;
  let inFlight: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (buffered === 0) return inFlight;
    const batch = { spans: [], metrics: [], logs: [...groups.values()] };
    groups = new Map();
    const lines = buffered;
    buffered = 0;
    unsettled += lines;
    inFlight = inFlight.then(() =>
      writer
        .write(batch)
        .catch(() => {
          dropped += lines;
        })
        .finally(() => {
          unsettled -= lines;
        }),
    );
    return inFlight;
  };
  const timer = setInterval(() => void flush(), options.flushIntervalMillis);
  timer.unref();

  return {
    line(node, stream, text) {
      if (closed || buffered >= options.maxBufferedLines) {
        dropped++;
        return;
      }
      let group = groups.get(node.name);
      if (group === undefined) {
        group = {
          resource: {
            attributes: JSON.stringify({ "service.name": node.role, "service.instance.id": node.name }),
            droppedAttributesCount: 0,
            schemaUrl: "",
            serviceName: node.role,
            serviceInstanceId: node.name,
          },
          scope: SCOPE,
          rows: [],
        };
        groups.set(node.name, group);
      }
      group.rows.push(row(stream, node.pid, text, BigInt(Date.now()) * 1_000_000n));
      buffered++;
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
      closed = true;
    },
    dropped: () => dropped,
    describePending: () => (unsettled === 0 ? "" : `${unsettled} lines handed to the store, not settled`),
  };
}
