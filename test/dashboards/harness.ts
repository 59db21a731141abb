import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../collector/collector.js";
import { compiledFile, projectRoot } from "../../collector/paths.js";
import { post } from "../helpers/otlp.js";
import { logsRequest, shopTelemetry, tracesRequest } from "./fixtures.js";

/** Shared by the browser tests, the render benchmark and the documentation screenshots. */

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = join(projectRoot, "test-artifacts", "dashboards");
export const VIEWPORT = { width: 1280, height: 800 };

/** Without these Chromium waits on the (closed) network and on first-run chores. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Bundles the UI from its current sources (esbuild, well under a second), so a test never runs a stale bundle.
 * The collector's API thread runs from dist/, so the TypeScript build must have run.
 */
export async function buildUi(): Promise<void> {
  if (!existsSync(compiledFile("collector/api/server-worker.ts"))) {
    throw new Error("dist/ has no compiled collector: run npm run build first");
  }
  await promisify(execFile)(process.execPath, [join(projectRoot, "dashboards", "build.mjs")]);
}

export interface LoadedCollector {
  collector: Collector;
  /** The collector's database, for tests that write experiment runs into it beside the collector. */
  dbPath: string;
  /** The API and UI origin, e.g. http://127.0.0.1:40123 */
  url: string;
  close(): Promise<void>;
}

async function send(
  collector: Collector,
  signal: "traces" | "metrics" | "logs",
  body: object,
  headers: Record<string, string>,
): Promise<void> {
  const url = `${collector.urls.otlpHttp}/v1/${signal}`;
  const response = await post(url, JSON.stringify(body), "application/json", headers);
  if (response.status !== 200) {
    throw new Error(`fixture ${signal} refused with ${response.status}: ${response.body.toString()}`);
  }
  const partial = JSON.parse(response.body.toString()).partialSuccess;
  if (partial !== undefined && Object.keys(partial).length > 0) {
    throw new Error(`fixture ${signal} partly rejected: ${JSON.stringify(partial)}`);
  }
}

/** A real collector on free ports with the fixture shop's telemetry sent to it over OTLP/HTTP JSON. */
export async function startLoadedCollector(options: { token?: string } = {}): Promise<LoadedCollector> {
  const dir = mkdtempSync(join(tmpdir(), "shakedown-dashboards-"));
  const collector = await startCollector({
    ...DEFAULT_COLLECTOR_OPTIONS,
    dbPath: join(dir, "collector.db"),
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    apiPort: 0,
    token: options.token,
  });
  try {
    const headers: Record<string, string> =
      options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
    const telemetry = shopTelemetry(Date.now());
    await send(collector, "traces", tracesRequest(telemetry.spans), headers);
    await send(collector, "traces", tracesRequest(telemetry.bigTrace), headers);
    await send(collector, "logs", logsRequest(telemetry.logs), headers);
    await send(collector, "metrics", telemetry.metrics, headers);
  } catch (error) {
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    collector,
    dbPath: join(dir, "collector.db"),
    url: collector.urls.api,
    async close() {
      await collector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile that is deleted on close. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "shakedown-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests, as text. */
  problems: string[];
  /** Messages of any alert, confirm or prompt the page opened (each is dismissed). */
  dialogs: string[];
}

export async function openPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const watched: WatchedPage = { page, problems: [], dialogs: [] };
  page.on("console", (message) => {
    if (message.type() === "error") watched.problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => watched.problems.push(`exception: ${error.message}`));
  page.on("requestfailed", (request) => {
    // Leaving a view aborts its requests on purpose.
    if (request.failure()?.errorText !== "net::ERR_ABORTED") {
      watched.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    }
  });
  page.on("dialog", (dialog) => {
    watched.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return watched;
}

/** Opens a view by its hash and waits until its first refresh finished. */
export async function visit(page: Page, origin: string, hash: string): Promise<void> {
  await page.goto(`${origin}/${hash}`);
  await waitReady(page);
}

export async function waitReady(page: Page): Promise<void> {
  await page.waitForSelector("main[data-ready='true']", { timeout: 30_000 });
}

export async function screenshot(page: Page, name: string, dir = ARTIFACTS): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
