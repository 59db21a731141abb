import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import type { LogRecordExporter, ReadableLogRecord } from "@opentelemetry/sdk-logs";
import type { PushMetricExporter, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { reportProblem } from "./diagnostics.js";

// The processors pass an exporter's error on, through flush and shutdown: knowing it was reported here
// keeps it from being reported twice.
const reportedErrors = new WeakSet<object>();

export function isReportedExportFailure(error: unknown): boolean {
  return typeof error === "object" && error !== null && reportedErrors.has(error);
}

/** An exporter that counts its failures, and tells the totals when asked (at shutdown). */
export interface Reporting {
  reportTotals(): void;
}

interface Exporter<Batch> {
  export(batch: Batch, done: (result: ExportResult) => void): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Wraps an exporter so that failing exports are reported once, not once per batch: the first failure at
 * once (the operator learns the collector is unreachable), the totals at shutdown if more failed after it.
 */
class ReportingExporter<Batch> implements Reporting {
  #failedExports = 0;
  #droppedItems = 0;

  constructor(
    private readonly inner: Exporter<Batch>,
    private readonly signal: string,
    private readonly countItems: (batch: Batch) => number,
  ) {}

  export(batch: Batch, done: (result: ExportResult) => void): void {
    this.inner.export(batch, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.#recordFailure(batch, result.error);
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  /** Only when failures followed the first, which was reported as it happened. */
  reportTotals(): void {
    if (this.#failedExports > 1) {
      reportProblem(`otlp ${this.signal} export failed ${this.#failedExports} times`, {
        signal: this.signal,
        failedExports: this.#failedExports,
        droppedItems: this.#droppedItems,
      });
    }
  }

  #recordFailure(batch: Batch, error: Error | undefined): void {
    if (error !== undefined) reportedErrors.add(error);
    this.#failedExports += 1;
    this.#droppedItems += this.countItems(batch);
    if (this.#failedExports === 1) {
      reportProblem(
        `otlp ${this.signal} export failed; further failures are counted and reported at shutdown`,
        {
          signal: this.signal,
          error: error?.message ?? "unknown error",
        },
      );
    }
  }
}

export function reportingSpanExporter(inner: SpanExporter): SpanExporter & Reporting {
  return new ReportingExporter<ReadableSpan[]>(inner, "traces", (spans) => spans.length);
}

export function reportingLogExporter(inner: LogRecordExporter): LogRecordExporter & Reporting {
  return new ReportingExporter<ReadableLogRecord[]>(inner, "logs", (records) => records.length);
}

export function reportingMetricExporter(inner: PushMetricExporter): PushMetricExporter & Reporting {
  const reporting = new ReportingExporter<ResourceMetrics>(inner, "metrics", (batch) =>
    batch.scopeMetrics.reduce(
      (points, scope) => points + scope.metrics.reduce((n, metric) => n + metric.dataPoints.length, 0),
      0,
    ),
  );
  return {
    export: (batch, done) => reporting.export(batch, done),
    forceFlush: () => reporting.forceFlush(),
    shutdown: () => reporting.shutdown(),
    reportTotals: () => reporting.reportTotals(),
    // The reader asks its exporter which temporality and aggregation the backend wants: pass the question on.
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
    selectAggregation: inner.selectAggregation?.bind(inner),
  };
}
