import { register } from "node:module";
import { getBooleanFromEnv, getNumberFromEnv } from "@opentelemetry/core";
import { ExpressInstrumentation } from "@opentelemetry/instrumentation-express";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import {
  defaultResource,
  detectResources,
  hostDetector,
  processDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import { BatchLogRecordProcessor, type LogRecordExporter } from "@opentelemetry/sdk-logs";
import { PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { reportProblem } from "./diagnostics.js";
import { otlpLogExporter, otlpMetricExporter, otlpSpanExporter } from "./otlp.js";
import {
  isReportedExportFailure,
  type Reporting,
  reportingLogExporter,
  reportingMetricExporter,
  reportingSpanExporter,
} from "./reporting.js";
import { identifyService, type ServiceDefaults } from "./service.js";

export type AgentOptions = ServiceDefaults;

const SHUTDOWN_SIGNALS = ["SIGTERM", "SIGINT"] as const;

let sdk: NodeSDK | undefined;
let exporters: Reporting[] = [];
/** What holds telemetry between exports: the span and log batches and the periodic metric reader. */
let buffers: { forceFlush(): Promise<void> }[] = [];
let stopped: Promise<void> | undefined;

/**
 * Starts tracing, metrics and logs over OTLP for this process, configured by the standard OTEL_* variables.
 * Only the first call in a process does anything, and it never throws: a process whose telemetry cannot
 * start still runs.
 */
export function startAgent(options: AgentOptions = {}): void {
  if (sdk !== undefined || getBooleanFromEnv("OTEL_SDK_DISABLED")) return;
  try {
    // ES modules are patched only through a loader hook; it sees modules imported after this point.
    register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
    const spanExporter = reportingSpanExporter(otlpSpanExporter());
    const metricExporter = reportingMetricExporter(otlpMetricExporter());
    const logExporter = reportingLogExporter(otlpLogExporter());
    const spanProcessor = new BatchSpanProcessor(spanExporter);
    const reader = metricReader(metricExporter);
    const logProcessor = logRecordProcessor(logExporter);
    const started = new NodeSDK({
      autoDetectResources: false,
      resource: defaultResource()
        .merge(detectResources({ detectors: [processDetector, hostDetector] }))
        .merge(resourceFromAttributes(identifyService(options))),
      spanProcessors: [spanProcessor],
      metricReaders: [reader],
      logRecordProcessors: [logProcessor],
      instrumentations: [
        new HttpInstrumentation({
          // Scrapes arrive every few seconds and would swamp the RED metrics derived from server spans.
          ignoreIncomingRequestHook: (request) => request.url?.split("?")[0] === "/metrics",
        }),
        new ExpressInstrumentation(),
        // Node's global fetch is undici, which the http instrumentation does not see.
        new UndiciInstrumentation(),
        new GrpcInstrumentation(),
      ],
    });
    started.start();
    sdk = started;
    exporters = [spanExporter, metricExporter, logExporter];
    buffers = [spanProcessor, reader, logProcessor];
  } catch (error) {
    reportProblem("telemetry agent failed to start; the process runs without it", { error: String(error) });
    return;
  }
  for (const signal of SHUTDOWN_SIGNALS) process.once(signal, onSignal);
  process.once("beforeExit", onBeforeExit);
}

/** Flushes and stops all telemetry; every call returns the same promise, which never rejects. */
export function shutdownAgent(): Promise<void> {
  if (sdk === undefined) return Promise.resolve();
  stopped ??= sdk
    .shutdown()
    .catch((error: unknown) => {
      if (!isReportedExportFailure(error))
        reportProblem("telemetry agent failed to shut down", { error: String(error) });
    })
    .finally(() => {
      // Here, not in the exporters' own shutdown, which a processor skips when its last flush failed.
      for (const exporter of exporters) exporter.reportTotals();
      for (const signal of SHUTDOWN_SIGNALS) process.off(signal, onSignal);
      process.off("beforeExit", onBeforeExit);
    });
  return stopped;
}

/**
 * Exports every span, log record and metric the process holds now, without waiting for the next batch or
 * interval: an experiment judges a run's telemetry as soon as the run ends. Resolves once the collector has
 * acknowledged all of it (at once when the agent is not running); rejects when a span or log export failed
 * (the metric reader reports its own failures to the SDK's error handler).
 */
export async function flushAgent(): Promise<void> {
  if (sdk === undefined || stopped !== undefined) return;
  await Promise.all(buffers.map((buffer) => buffer.forceFlush()));
}

function metricReader(exporter: PushMetricExporter): PeriodicExportingMetricReader {
  const exportIntervalMillis = getNumberFromEnv("OTEL_METRIC_EXPORT_INTERVAL") ?? 60_000;
  return new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis,
    // The reader refuses a timeout longer than its interval.
    exportTimeoutMillis: Math.min(
      getNumberFromEnv("OTEL_METRIC_EXPORT_TIMEOUT") ?? 30_000,
      exportIntervalMillis,
    ),
  });
}

// Unlike the span processor, the log processor does not read its OTEL_BLRP_* variables itself.
function logRecordProcessor(exporter: LogRecordExporter): BatchLogRecordProcessor {
  return new BatchLogRecordProcessor({
    exporter,
    maxQueueSize: getNumberFromEnv("OTEL_BLRP_MAX_QUEUE_SIZE"),
    maxExportBatchSize: getNumberFromEnv("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"),
    scheduledDelayMillis: getNumberFromEnv("OTEL_BLRP_SCHEDULE_DELAY"),
    exportTimeoutMillis: getNumberFromEnv("OTEL_BLRP_EXPORT_TIMEOUT"),
  });
}

function onBeforeExit(): void {
  void shutdownAgent();
}

/**
 * Listening to a signal cancels Node's default of dying by it. So when only the agent listened, it raises
 * the signal again once shut down, and the process dies of it as it would have without the agent; when the
 * app listens too, the app decides how and when to stop.
 */
function onSignal(signal: NodeJS.Signals): void {
  const appListens = process.listenerCount(signal) > 0;
  // After the app's own handlers, so that what they log on their way out is exported too.
  setImmediate(() => {
    void shutdownAgent().then(() => {
      if (!appListens) process.kill(process.pid, signal);
    });
  });
}
