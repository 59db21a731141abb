import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import {
  type Collector,
  type CollectorOptions,
  DEFAULT_COLLECTOR_OPTIONS,
  startCollector,
} from "../../collector/collector.js";
import { parseTargets } from "../../collector/scrape/targets.js";
import { parseBytes, parseDuration, parsePort, positiveInteger } from "../units.js";
import { flag } from "../usage-error.js";

export const DEFAULT_DB = ".data/shakedown.db";

export interface CollectorFlags {
  db: string;
  host: string;
  otlpHttpPort: number;
  otlpGrpcPort: number;
  apiPort: number;
  retention: number;
  maxDbSize: number;
  token?: string;
  scrape: string[];
  scrapeInterval: number;
  maxPendingItems: number;
  maxBodySize: number;
}

export function collectorOptions(flags: CollectorFlags): CollectorOptions {
  const dbPath = resolve(flags.db);
  mkdirSync(dirname(dbPath), { recursive: true });
  return {
    ...DEFAULT_COLLECTOR_OPTIONS,
    dbPath,
    host: flags.host,
    otlpHttpPort: flags.otlpHttpPort,
    otlpGrpcPort: flags.otlpGrpcPort,
    apiPort: flags.apiPort,
    retentionMillis: flags.retention,
    maxDbBytes: flags.maxDbSize,
    token: flags.token,
    scrapeTargets: flags.scrape.flatMap((text) => flag("--scrape", parseTargets)(text)),
    scrapeIntervalMillis: flags.scrapeInterval,
    maxPendingItems: flags.maxPendingItems,
    maxBodyBytes: flags.maxBodySize,
  };
}

export function printListening(collector: Collector, dbPath: string): void {
  console.log(`shakedown collector: database ${dbPath}`);
  console.log(`  OTLP/HTTP  ${collector.urls.otlpHttp}  (POST /v1/traces, /v1/metrics, /v1/logs)`);
  console.log(`  OTLP/gRPC  ${collector.urls.otlpGrpc}`);
  console.log(`  API        ${collector.urls.api}/api/`);
}

/** Closes the collector on SIGINT/SIGTERM, flushing what it accepted, then exits. */
export function closeOnSignals(close: () => Promise<void>): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      (error) => {
        console.error(`shakedown: error while stopping: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

export function addCollectorFlags(command: Command): Command {
  const d = DEFAULT_COLLECTOR_OPTIONS;
  return command
    .option("--db <file>", "SQLite database file", DEFAULT_DB)
    .option("--host <address>", "address every listener binds", d.host)
    .option("--otlp-http-port <port>", "OTLP/HTTP port", flag("--otlp-http-port", parsePort), d.otlpHttpPort)
    .option("--otlp-grpc-port <port>", "OTLP/gRPC port", flag("--otlp-grpc-port", parsePort), d.otlpGrpcPort)
    .option("--api-port <port>", "query API (and UI) port", flag("--api-port", parsePort), d.apiPort)
    .option(
      "--retention <duration>",
      "delete data older than this",
      flag("--retention", parseDuration),
      d.retentionMillis,
    )
    .option(
      "--max-db-size <size>",
      "delete the oldest data beyond this size",
      flag("--max-db-size", parseBytes),
      d.maxDbBytes,
    )
    .option(
      "--token <token>",
      "require Authorization: Bearer <token> on every endpoint",
      process.env.SHAKEDOWN_TOKEN,
    )
    .option(
      "--scrape <job=url>",
      "Prometheus target to scrape (repeatable)",
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option(
      "--scrape-interval <duration>",
      "Prometheus scrape interval",
      flag("--scrape-interval", parseDuration),
      d.scrapeIntervalMillis,
    )
    .option(
      "--max-pending-items <n>",
      "items accepted but not yet committed before ingest answers 429",
      flag("--max-pending-items", positiveInteger),
      d.maxPendingItems,
    )
    .option(
      "--max-body-size <size>",
      "largest OTLP body, after decompression",
      flag("--max-body-size", parseBytes),
      d.maxBodyBytes,
    );
}

export function registerCollectorCommand(program: Command): void {
  addCollectorFlags(
    program.command("collector").description("run the telemetry collector (OTLP in, SQLite, query API)"),
  ).action(async (flags: CollectorFlags) => {
    const options = collectorOptions(flags);
    const collector = await startCollector(options);
    printListening(collector, options.dbPath);
    closeOnSignals(() => collector.close());
  });
}
