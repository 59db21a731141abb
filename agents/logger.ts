import { context, isSpanContextValid, trace } from "@opentelemetry/api";
import { type AnyValue, logs, SeverityNumber } from "@opentelemetry/api-logs";
import { type DestinationStream, type Level, type Logger, pino } from "pino";
import { reportProblem } from "./diagnostics.js";
import { serviceName } from "./service.js";

export interface LoggerOptions {
  /** Lowest level written; default "info". */
  level?: Level;
  /** Where the JSON lines go; defaults to stdout. */
  destination?: DestinationStream;
}

// Fields of a pino line that are not log attributes: they become the record's own fields, or they repeat
// what the resource (service.name, process.pid, host.name) and the record's context (trace ids) carry.
const RECORD_FIELDS = new Set([
  "level",
  "time",
  "msg",
  "err",
  "pid",
  "hostname",
  "service.name",
  "trace_id",
  "span_id",
  "trace_flags",
]);

const otelLogger = logs.getLogger("shakedown-agents");

let forwardingFailed = false;

/**
 * A pino logger writing JSON lines, each carrying the service name and the active span's ids, and
 * forwarding each line as an OpenTelemetry log record. The instance is independent of the agent: without
 * one, lines simply carry no trace ids and records go nowhere.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const logger: Logger = pino(
    {
      level: options.level ?? "info",
      mixin: correlationFields,
      hooks: {
        // Runs synchronously inside the log call, so the active context is the caller's.
        streamWrite: (line) => {
          forward(line, logger);
          return line;
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return logger;
}

/** The process's logger. */
export const logger = createLogger();

function correlationFields(): Record<string, string> {
  const fields: Record<string, string> = { "service.name": serviceName() };
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (spanContext !== undefined && isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
    fields.trace_flags = `0${spanContext.traceFlags.toString(16)}`;
  }
  return fields;
}

function forward(line: string, logger: Logger): void {
  // Without a log SDK (no agent, or one shut down) there is nobody to forward to: spare the parse.
  if (!otelLogger.enabled()) return;
  try {
    // Every JSON value is an OpenTelemetry AnyValue.
    const fields = JSON.parse(line) as Record<string, AnyValue>;
    const level = Number(fields.level);
    const attributes = Object.fromEntries(Object.entries(fields).filter(([key]) => !RECORD_FIELDS.has(key)));
    otelLogger.emit({
      // A Date, because the SDK reads a bare number close to process start as a performance.now() value.
      timestamp: new Date(Number(fields.time)),
      severityNumber: severityOf(level),
      severityText: logger.levels.labels[level],
      body: typeof fields.msg === "string" ? fields.msg : undefined,
      attributes,
      exception: exceptionOf(fields.err),
      context: context.active(),
    });
  } catch (error) {
    if (!forwardingFailed) {
      forwardingFailed = true;
      reportProblem("forwarding log lines to OpenTelemetry failed; later failures are not reported", {
        error: String(error),
      });
    }
  }
}

function severityOf(level: number): SeverityNumber {
  if (level >= 60) return SeverityNumber.FATAL;
  if (level >= 50) return SeverityNumber.ERROR;
  if (level >= 40) return SeverityNumber.WARN;
  if (level >= 30) return SeverityNumber.INFO;
  if (level >= 20) return SeverityNumber.DEBUG;
  return SeverityNumber.TRACE;
}

/** pino serializes errors as { type, message, stack }; the SDK names the exception from `name`. */
function exceptionOf(err: unknown): unknown {
  if (err === null || typeof err !== "object") return err;
  const { type, ...rest } = err as Record<string, unknown>;
  return { name: type, ...rest };
}
