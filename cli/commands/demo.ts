import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { Command } from "commander";
import { freePort } from "../../chaos/ports.js";
import { type Collector, startCollector } from "../../collector/collector.js";
import { projectRoot } from "../../collector/paths.js";
import { positiveInteger } from "../units.js";
import { flag } from "../usage-error.js";
import {
  addCollectorFlags,
  type CollectorFlags,
  closeOnSignals,
  collectorOptions,
  printListening,
} from "./collector.js";

interface DemoFlags extends CollectorFlags {
  once?: boolean;
  requests: number;
}

interface SampleNode {
  name: string;
  url: string;
  child: ChildProcess;
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** Starts one role of the sample service under the agent, exporting to this collector. */
async function startSample(
  collector: Collector,
  role: string,
  env: Record<string, string>,
): Promise<SampleNode> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      "--import",
      join(projectRoot, "dist", "agents", "register.js"),
      join(projectRoot, "dist", "fixtures", "sample-service", "server.js"),
    ],
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: {
        ...process.env,
        ...env,
        SAMPLE_ROLE: role,
        PORT: String(port),
        OTEL_SERVICE_NAME: role,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.urls.otlpHttp,
        OTEL_BSP_SCHEDULE_DELAY: "200",
        OTEL_BLRP_SCHEDULE_DELAY: "200",
        OTEL_METRIC_EXPORT_INTERVAL: "2000",
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`sample ${role} exited with ${child.exitCode}`);
    const healthy = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) {
      collector.scraper.addTarget({ job: role, url: `${url}/metrics` });
      return { name: role, url, child };
    }
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error(`sample ${role} did not become healthy at ${url}`);
}

async function stopSamples(nodes: SampleNode[]): Promise<void> {
  await Promise.all(
    nodes.map(
      (node) =>
        new Promise<void>((resolve) => {
          if (node.child.exitCode !== null || node.child.signalCode !== null) {
            resolve();
            return;
          }
          node.child.once("exit", () => resolve());
          node.child.kill("SIGTERM");
        }),
    ),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: the summary reads a few fields of API answers.
async function api(collector: Collector, path: string, token?: string): Promise<any> {
  const response = await fetch(`${collector.urls.api}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return response.json();
}

/**
 * The sample session: browse products through storefront (which calls pricing), then wait until the traces
 * are queryable. Every tenth product has no price, so some traces end in errors.
 */
async function shop(
  collector: Collector,
  storefront: SampleNode,
  requests: number,
  token?: string,
): Promise<void> {
  let failed = 0;
  for (let i = 1; i <= requests; i++) {
    const response = await fetch(`${storefront.url}/products/${((i - 1) % 25) + 1}`);
    await response.arrayBuffer();
    if (!response.ok) failed++;
  }
  console.log(
    `demo: ${requests} requests sent to storefront (${failed} answered with an error, as designed)`,
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const { traces } = await api(collector, "/api/traces?service=storefront&limit=1000", token);
    if (traces.length >= requests) break;
    await sleep(100);
  }
  await collector.scraper.scrapeNow();
  const { services } = await api(collector, "/api/services", token);
  const { traces } = await api(collector, "/api/traces?service=storefront&status=error&limit=1", token);
  const { logs } = await api(collector, "/api/logs?severity=error&limit=1000", token);
  console.log(`demo: services seen: ${services.map((s: { name: string }) => s.name).join(", ")}`);
  if (traces[0]) {
    console.log(`demo: a failed request's trace: ${collector.urls.api}/api/traces/${traces[0].traceId}`);
  }
  console.log(`demo: ${logs.length} error log lines; graph: ${collector.urls.api}/api/dependencies`);
}

export function registerDemoCommand(program: Command): void {
  addCollectorFlags(
    program
      .command("demo")
      .description("run the collector with an instrumented sample system and a shopping session"),
  )
    .option("--once", "exit after the session instead of staying up")
    .option("--requests <n>", "requests in the session", flag("--requests", positiveInteger), 60)
    .action(async (flags: DemoFlags) => {
      const options = collectorOptions(flags);
      const collector = await startCollector(options);
      printListening(collector, options.dbPath);
      const nodes: SampleNode[] = [];
      const stop = async () => {
        await stopSamples(nodes);
        await collector.close();
      };
      try {
        const headers: Record<string, string> = options.token
          ? { OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${options.token}` }
          : {};
        const pricing = await startSample(collector, "pricing", headers);
        nodes.push(pricing);
        const storefront = await startSample(collector, "storefront", {
          ...headers,
          PRICING_URL: pricing.url,
        });
        nodes.push(storefront);
        await shop(collector, storefront, flags.requests, options.token);
      } catch (error) {
        await stop();
        throw error;
      }
      if (flags.once) {
        await stop();
        return;
      }
      console.log("demo: running; press Ctrl-C to stop everything it started");
      closeOnSignals(stop);
    });
}
