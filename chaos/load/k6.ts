import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../../collector/paths.js";
import type { K6Load, Load } from "../experiment/types.js";
import type { LoadDriver, RunningLoad } from "../timeline/engine.js";
import { K6Error, UnsupportedLoadError } from "./errors.js";
import { assertLoopback } from "./loopback.js";

/** What k6's end-of-test summary says, in milliseconds. */
export interface K6Summary {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Share of requests k6 counted as failed (`http_req_failed`), 0..1. */
  readonly failedRatio: number;
  readonly iterations: number;
  readonly durationMillis: {
    readonly avg: number;
    readonly median: number;
    readonly p90: number;
    readonly p95: number;
    readonly max: number;
  };
  /** Every metric as exported, custom ones (counters the script defines) included. */
  readonly metrics: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Every IPv4 range but 127.0.0.0/8, and all of IPv6: k6 itself refuses to send load off this machine. */
const NOT_LOOPBACK = [
  "0.0.0.0/2",
  "64.0.0.0/3",
  "96.0.0.0/4",
  "112.0.0.0/5",
  "120.0.0.0/6",
  "124.0.0.0/7",
  "126.0.0.0/8",
  "128.0.0.0/1",
  "::/0",
].join(",");

type Metric = Record<string, number>;

/** Reads `--summary-export` JSON; absent metrics count as zero (a run that sent nothing). */
export function parseK6Summary(text: string): K6Summary {
  const metrics = (JSON.parse(text) as { metrics?: Record<string, Metric> }).metrics ?? {};
  const metric = (name: string): Partial<Metric> => metrics[name] ?? {};
  const duration = metric("http_req_duration");
  return {
    requests: metric("http_reqs").count ?? 0,
    requestsPerSecond: metric("http_reqs").rate ?? 0,
    // A rate metric's "passes" are its true samples: the failed requests.
    failedRatio: metric("http_req_failed").value ?? 0,
    iterations: metric("iterations").count ?? 0,
    durationMillis: {
      avg: duration.avg ?? 0,
      median: duration.med ?? 0,
      p90: duration["p(90)"] ?? 0,
      p95: duration["p(95)"] ?? 0,
      max: duration.max ?? 0,
    },
    metrics,
  };
}

/** The environment name a service's base URL is given to the script under: `SHAKEDOWN_URL_GATEWAY`. */
export function serviceUrlVariable(service: string): string {
  return `SHAKEDOWN_URL_${service.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

const OUTPUT_TAIL_CHARS = 4000;

/** A running k6 process; `summary` is set once it has exited. */
export class K6Run implements RunningLoad {
  readonly done: Promise<void>;
  summary: K6Summary | null = null;
  private stopping = false;

  constructor(
    private readonly child: ReturnType<typeof spawn>,
    summaryPath: string,
    workDir: string,
  ) {
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.done = new Promise<void>((resolve, reject) => {
      child.once("error", (error) => reject(new K6Error(null, `k6 could not be started: ${error.message}`)));
      child.once("exit", (code) => {
        try {
          this.summary = parseK6Summary(readFileSync(summaryPath, "utf8"));
        } catch {}
        rmSync(workDir, { recursive: true, force: true });
        // 99: thresholds crossed, which the experiment's own assertions judge; a stopped k6 also succeeded.
        if (code === 0 || code === 99 || this.stopping) resolve();
        else reject(new K6Error(code, output.trim()));
      });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGINT");
    await this.done.catch(() => {});
  }
}

const INSTALLED = join(projectRoot, ".tools", "bin", "k6");

/** `SHAKEDOWN_K6` (from `.tools/env.sh`), else the one `scripts/setup.sh` installed, else `k6` on the PATH. */
function defaultBinary(): string {
  return process.env.SHAKEDOWN_K6 ?? (existsSync(INSTALLED) ? INSTALLED : "k6");
}

export interface K6Options {
  /** The k6 binary; see defaultBinary. */
  readonly binary?: string;
  /** Base URL of each service the script may call, by service name; each must be on loopback. */
  serviceUrls(): Readonly<Record<string, string>>;
}

/** Runs a k6 script as the experiment's load, handing it the services' URLs as `SHAKEDOWN_URL_<SERVICE>`. */
export class K6Driver implements LoadDriver {
  readonly runs: K6Run[] = [];

  constructor(private readonly options: K6Options) {}

  async start(load: Load, signal: AbortSignal): Promise<K6Run> {
    if (load.type !== "k6") throw new UnsupportedLoadError(load.type);
    const run = this.spawn(load);
    signal.addEventListener("abort", () => void run.stop(), { once: true });
    this.runs.push(run);
    return run;
  }

  private spawn(load: K6Load): K6Run {
    const variables: Record<string, string> = {};
    for (const [service, url] of Object.entries(this.options.serviceUrls())) {
      variables[serviceUrlVariable(service)] = assertLoopback(url).origin;
    }
    Object.assign(variables, load.env);
    const workDir = mkdtempSync(join(tmpdir(), "shakedown-k6-"));
    const summaryPath = join(workDir, "summary.json");
    const args = [
      "run",
      "--quiet",
      "--no-color",
      "--no-usage-report",
      "--address",
      "",
      "--blacklist-ip",
      NOT_LOOPBACK,
      "--summary-export",
      summaryPath,
      "--duration",
      `${load.durationMillis}ms`,
      ...(load.vus === null ? [] : ["--vus", String(load.vus)]),
      ...Object.entries(variables).flatMap(([name, value]) => ["-e", `${name}=${value}`]),
      load.script,
    ];
    const child = spawn(this.options.binary ?? defaultBinary(), args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, K6_NO_USAGE_REPORT: "true" },
    });
    return new K6Run(child, summaryPath, workDir);
  }
}
