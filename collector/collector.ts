import type { AddressInfo } from "node:net";
import type Database from "better-sqlite3";
import express from "express";
import { createApiRouter } from "./api/router.js";
import { bearerAllows } from "./receivers/auth.js";
import { type OtlpGrpcReceiver, startOtlpGrpcReceiver } from "./receivers/otlp-grpc.js";
import { type OtlpHttpReceiver, startOtlpHttpReceiver } from "./receivers/otlp-http.js";
import { type Scraper, type ScrapeTarget, startScraper } from "./scrape/scraper.js";
import { openDatabase } from "./store/schema.js";
import { DEFAULT_WRITER_OPTIONS, type StoreWriter, startWriter } from "./store/writer.js";

export interface CollectorOptions {
  dbPath: string;
  /** Address every listener binds; loopback unless the operator says otherwise. */
  host: string;
  otlpHttpPort: number;
  otlpGrpcPort: number;
  apiPort: number;
  token?: string;
  retentionMillis: number;
  maxDbBytes: number;
  maxBodyBytes: number;
  maxPendingItems: number;
  scrapeTargets: ScrapeTarget[];
  scrapeIntervalMillis: number;
}

export const DEFAULT_COLLECTOR_OPTIONS: Omit<CollectorOptions, "dbPath"> = {
  host: "127.0.0.1",
  otlpHttpPort: 4318,
  otlpGrpcPort: 4317,
  apiPort: 18888,
  retentionMillis: DEFAULT_WRITER_OPTIONS.retention.maxAgeMillis,
  maxDbBytes: DEFAULT_WRITER_OPTIONS.retention.maxBytes,
  maxBodyBytes: 32 * 1024 * 1024,
  maxPendingItems: DEFAULT_WRITER_OPTIONS.maxPendingItems,
  scrapeTargets: [],
  scrapeIntervalMillis: 5_000,
};

export interface Collector {
  otlpHttpPort: number;
  otlpGrpcPort: number;
  apiPort: number;
  urls: { otlpHttp: string; otlpGrpc: string; api: string };
  writer: StoreWriter;
  scraper: Scraper;
  /** Stops accepting, flushes everything accepted, and closes the database. Runs once. */
  close(): Promise<void>;
}

function startApi(
  db: Database.Database,
  options: CollectorOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const app = express();
  app.disable("x-powered-by");
  app.use((request, response, next) => {
    if (bearerAllows(options.token, request.headers.authorization)) next();
    else response.status(401).type("application/problem+json").json({ title: "Unauthorized", status: 401 });
  });
  app.get("/healthz", (_request, response) => {
    response.json({ status: "ok" });
  });
  app.use("/api", createApiRouter(db));
  return new Promise((resolve, reject) => {
    const server = app.listen(options.apiPort, options.host);
    server.once("error", reject);
    server.once("listening", () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      }),
    );
  });
}

export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const writer = await startWriter({
    ...DEFAULT_WRITER_OPTIONS,
    path: options.dbPath,
    retention: { maxAgeMillis: options.retentionMillis, maxBytes: options.maxDbBytes },
    maxPendingItems: options.maxPendingItems,
  });
  const started: { close(): Promise<void> }[] = [];
  let readDb: Database.Database | undefined;
  try {
    // startWriter resolves once the writer has created the schema, so the reader can open now.
    readDb = openDatabase(options.dbPath, { readonly: true });
    const http: OtlpHttpReceiver = await startOtlpHttpReceiver({
      ...options,
      port: options.otlpHttpPort,
      writer,
    });
    started.push(http);
    const grpc: OtlpGrpcReceiver = await startOtlpGrpcReceiver({
      ...options,
      port: options.otlpGrpcPort,
      writer,
    });
    started.push(grpc);
    const api = await startApi(readDb, options);
    started.push(api);
    const scraper = startScraper({
      targets: options.scrapeTargets,
      intervalMillis: options.scrapeIntervalMillis,
      timeoutMillis: Math.min(options.scrapeIntervalMillis, 10_000),
      writer,
    });
    const db = readDb;
    let closing: Promise<void> | undefined;
    const host = options.host.includes(":") ? `[${options.host}]` : options.host;
    return {
      otlpHttpPort: http.port,
      otlpGrpcPort: grpc.port,
      apiPort: api.port,
      urls: {
        otlpHttp: `http://${host}:${http.port}`,
        otlpGrpc: `${host}:${grpc.port}`,
        api: `http://${host}:${api.port}`,
      },
      writer,
      scraper,
      close() {
        closing ??= (async () => {
          await scraper.stop();
          await Promise.all(started.map((s) => s.close()));
          await writer.close();
          db.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    await writer.close();
    readDb?.close();
    throw error;
  }
}
