import { isIPv4 } from "node:net";
import { startApiServer } from "./api/server.js";
import { PendingSteps } from "./pending-steps.js";
import { type OtlpGrpcReceiver, startOtlpGrpcReceiver } from "./receivers/otlp-grpc.js";
import { type OtlpHttpReceiver, startOtlpHttpReceiver } from "./receivers/otlp-http.js";
import { type Scraper, type ScrapeTarget, startScraper } from "./scrape/scraper.js";
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
  /**
   * Also accepts OTLP/HTTP on another loopback address, e.g. the root namespace's address on a host network,
   * which nodes in network namespaces of their own reach instead of 127.0.0.1. Resolves with that endpoint's
   * URL; closed with the collector. Refuses an address outside 127.0.0.0/8.
   */
  listenOtlpHttp(host: string): Promise<string>;
  /** Stops accepting, flushes everything accepted, and closes the database. Runs once. */
  close(): Promise<void>;
  /** The steps of `close` under way and not settled, each with what it waits for: empty before and after. */
  pendingClose(): string[];
}

/** What the collector listens with, named for a close that does not finish. */
interface Listener {
  readonly name: string;
  close(): Promise<void>;
  /** What its close still waits for, or "". */
  pending?(): string;
}

function openConnections(receiver: OtlpHttpReceiver): string {
  const open = receiver.openConnections();
  return open === 0 ? "" : `${open} client connections still open`;
}

function uncommitted(writer: StoreWriter): string {
  return `${writer.stats().pendingItems} items accepted and not committed`;
}

function scrapesUnderWay(scraper: Scraper, writer: StoreWriter): string {
  const urls = scraper.scraping();
  return urls.length === 0
    ? ""
    : `waiting for scrapes of ${urls.join(", ")}; store writer: ${uncommitted(writer)}`;
}

export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const writer = await startWriter({
    ...DEFAULT_WRITER_OPTIONS,
    path: options.dbPath,
    retention: { maxAgeMillis: options.retentionMillis, maxBytes: options.maxDbBytes },
    maxPendingItems: options.maxPendingItems,
  });
  const started: Listener[] = [];
  const steps = new PendingSteps();
  try {
    const http: OtlpHttpReceiver = await startOtlpHttpReceiver({
      ...options,
      port: options.otlpHttpPort,
      writer,
    });
    started.push({
      name: `OTLP/HTTP receiver on port ${http.port}`,
      close: () => http.close(),
      pending: () => openConnections(http),
    });
    const grpc: OtlpGrpcReceiver = await startOtlpGrpcReceiver({
      ...options,
      port: options.otlpGrpcPort,
      writer,
    });
    started.push({ name: `OTLP/gRPC receiver on port ${grpc.port}`, close: () => grpc.close() });
    // startWriter resolves once the writer has created the schema, so the API's reader can open it now.
    const api = await startApiServer({
      dbPath: options.dbPath,
      host: options.host,
      port: options.apiPort,
      token: options.token,
    });
    started.push({ name: `API server on port ${api.port}`, close: () => api.close() });
    const scraper = startScraper({
      targets: options.scrapeTargets,
      intervalMillis: options.scrapeIntervalMillis,
      timeoutMillis: Math.min(options.scrapeIntervalMillis, 10_000),
      writer,
    });
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
      async listenOtlpHttp(extraHost) {
        if (!isIPv4(extraHost) || !extraHost.startsWith("127.")) {
          throw new Error(`the collector listens on 127.0.0.0/8 only, not on ${extraHost}`);
        }
        if (closing !== undefined) throw new Error("the collector is closed");
        const extra = await startOtlpHttpReceiver({ ...options, host: extraHost, port: 0, writer });
        started.push({
          name: `OTLP/HTTP receiver on ${extraHost}:${extra.port}`,
          close: () => extra.close(),
          pending: () => openConnections(extra),
        });
        return `http://${extraHost}:${extra.port}`;
      },
      close() {
        closing ??= (async () => {
          await steps.run(
            "scraper",
            () => scraper.stop(),
            () => scrapesUnderWay(scraper, writer),
          );
          await Promise.all(
            started.map((listener) => steps.run(listener.name, () => listener.close(), listener.pending)),
          );
          await steps.run(
            "store writer",
            () => writer.close(),
            () => uncommitted(writer),
          );
        })();
        return closing;
      },
      pendingClose: () => steps.list(),
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    await writer.close();
    throw error;
  }
}
