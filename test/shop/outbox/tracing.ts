import { NodeSDK } from "@opentelemetry/sdk-node";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

export interface CapturedSpans {
  spans(): ReadableSpan[];
  shutdown(): Promise<void>;
}

/**
 * Makes OpenTelemetry live in the test process (context manager, W3C propagator, tracer provider) with spans
 * kept in memory, as the agent does in a service, minus any export.
 */
export function captureSpans(): CapturedSpans {
  const exporter = new InMemorySpanExporter();
  const sdk = new NodeSDK({
    autoDetectResources: false,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    logRecordProcessors: [],
    metricReaders: [],
    instrumentations: [],
  });
  sdk.start();
  return { spans: () => exporter.getFinishedSpans(), shutdown: () => sdk.shutdown() };
}
