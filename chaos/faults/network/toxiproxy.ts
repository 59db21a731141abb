import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../../collector/paths.js";
import { netnsExec } from "../../netns/network.js";
import { checkNetworkId, checkNodeName, defaultStateDir, NAME_PREFIX } from "../../netns/state.js";
import { freePort } from "../../ports.js";
import type { PidRegistry } from "../../supervisor/pid-registry.js";
import { processStartTicks, stillRunning } from "../../supervisor/pid-registry.js";
import { ToxiproxyApiError, ToxiproxyStartError } from "./errors.js";

/** The toxic types our faults use, by Toxiproxy's own names. */
export type ToxicType = "latency" | "bandwidth" | "reset_peer" | "timeout";
/** upstream: caller → node; downstream: node → caller (Toxiproxy's default). */
export type ToxicStream = "upstream" | "downstream";

export interface Toxic {
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: ToxicStream;
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, number>>;
}

const API_TIMEOUT_MILLIS = 5_000;

/** Only loopback: the API can open ports and break links, so we never talk to one elsewhere. */
function checkLoopbackUrl(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.protocol !== "http:" || !url.hostname.startsWith("127.")) {
    throw new ToxiproxyStartError(`API address ${apiUrl} is not http on 127.0.0.0/8`, "");
  }
  return url.origin;
}

/** Toxiproxy's HTTP API (https://github.com/Shopify/toxiproxy#http-api), the calls our faults need. */
export class ToxiproxyClient {
  readonly apiUrl: string;

  constructor(apiUrl: string) {
    this.apiUrl = checkLoopbackUrl(apiUrl);
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string }> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      signal: AbortSignal.timeout(API_TIMEOUT_MILLIS),
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    return { status: response.status, text: await response.text() };
  }

  private async expect(
    method: string,
    path: string,
    body?: unknown,
    missingOk = false,
  ): Promise<string | null> {
    const { status, text } = await this.call(method, path, body);
    if (status === 404 && missingOk) return null;
    if (status < 200 || status > 299) throw new ToxiproxyApiError(method, path, status, text);
    return text;
  }

  async version(): Promise<string> {
    return ((await this.expect("GET", "/version")) ?? "").trim();
  }

  async createProxy(name: string, listen: string, upstream: string): Promise<void> {
    await this.expect("POST", "/proxies", { name, listen, upstream, enabled: true });
  }

  /** False when there was no such proxy. */
  async deleteProxy(name: string): Promise<boolean> {
    return (await this.expect("DELETE", `/proxies/${encodeURIComponent(name)}`, undefined, true)) !== null;
  }

  async addToxic(proxy: string, toxic: Toxic): Promise<void> {
    await this.expect("POST", `/proxies/${encodeURIComponent(proxy)}/toxics`, toxic);
  }

  /** False when the proxy or the toxic was already gone, which is what a second heal finds. */
  async removeToxic(proxy: string, toxic: string): Promise<boolean> {
    const path = `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`;
    return (await this.expect("DELETE", path, undefined, true)) !== null;
  }

  /** The proxy's toxics, or null when there is no such proxy. */
  async toxics(proxy: string): Promise<Toxic[] | null> {
    const text = await this.expect("GET", `/proxies/${encodeURIComponent(proxy)}/toxics`, undefined, true);
    return text === null ? null : (JSON.parse(text) as Toxic[]);
  }
}

/** True when the error says nothing listens at the API address: the server, and its toxics, are gone. */
export function serverGone(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | null)?.cause;
  return cause?.code === "ECONNREFUSED";
}

/** One caller → node link through a proxy: callers connect to `listen` instead of the node's own address. */
export interface ToxiproxyLink {
  readonly proxy: string;
  readonly from: string;
  readonly to: string;
  /** host:port the proxy listens on. */
  readonly listen: string;
  /** host:port of the node. */
  readonly upstream: string;
}

/** A running toxiproxy-server and its links, written on every change so faults in any process can find them. */
export interface ToxiproxyRecord {
  readonly v: 1;
  readonly id: string;
  readonly apiUrl: string;
  readonly pid: number;
  readonly startTicks: string;
  readonly links: readonly ToxiproxyLink[];
}

const recordsDir = (stateDir: string) => join(stateDir, "toxiproxy");

function writeRecord(stateDir: string, record: ToxiproxyRecord): void {
  mkdirSync(recordsDir(stateDir), { recursive: true });
  const path = join(recordsDir(stateDir), `${record.id}.json`);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temp, path);
}

/** Every Toxiproxy server a state folder records; unreadable files are skipped. */
export function readToxiproxyRecords(stateDir: string = defaultStateDir()): ToxiproxyRecord[] {
  let files: string[];
  try {
    files = readdirSync(recordsDir(stateDir)).filter((file) => file.endsWith(".json"));
  } catch {
    return [];
  }
  const records: ToxiproxyRecord[] = [];
  for (const file of files) {
    try {
      const record = JSON.parse(readFileSync(join(recordsDir(stateDir), file), "utf8")) as ToxiproxyRecord;
      if (record.v === 1 && `${record.id}.json` === file && Array.isArray(record.links)) records.push(record);
    } catch {
      // Unreadable: nothing in it can be acted on.
    }
  }
  return records;
}

/**
 * Stops (SIGKILL, by PID and start time) every Toxiproxy server a crashed engine left behind, which removes
 * all of its proxies and toxics at once, and deletes their records. Returns the PIDs stopped.
 */
export async function recoverToxiproxy(stateDir: string = defaultStateDir()): Promise<number[]> {
  const stopped: number[] = [];
  for (const record of readToxiproxyRecords(stateDir)) {
    if (stillRunning({ name: record.id, pid: record.pid, startTicks: record.startTicks })) {
      process.kill(record.pid, "SIGKILL");
      stopped.push(record.pid);
      // Bounded: 100 rounds of 20 ms for the kernel to reap it.
      for (let round = 0; round < 100 && processStartTicks(record.pid) === record.startTicks; round++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    rmSync(join(recordsDir(stateDir), `${record.id}.json`), { force: true });
    rmSync(join(recordsDir(stateDir), `${record.id}.log`), { force: true });
  }
  return stopped;
}

export interface ToxiproxyServerOptions {
  readonly stateDir?: string;
  /** 1-8 of [a-z0-9]; random by default. Proxies are named `shk-<id>-<from>-<to>`. */
  readonly id?: string;
  /** Default: SHAKEDOWN_TOXIPROXY (from `.tools/env.sh`), else the one setup installed, else the PATH's. */
  readonly binary?: string;
  /** Records the server's PID so `recover` can stop it if the engine dies. */
  readonly registry?: PidRegistry;
  /**
   * Runs the server inside a host of a host network (its namespace, under `ip netns exec`), with its API and
   * proxies on the host's address: a node of the network like any other, which partitions can cut off.
   */
  readonly netns?: { readonly namespace: string; readonly address: string };
  /** The API's port; default a free one. */
  readonly port?: number;
}

const START_TIMEOUT_MILLIS = 10_000;
const TAIL_LINES = 20;

/**
 * A toxiproxy-server the engine starts on a free loopback port and owns by PID, with one proxy per caller →
 * node link. Its record in the state folder is what the link faults read to find a link's proxy.
 */
export class ToxiproxyServer {
  private readonly created: ToxiproxyLink[] = [];
  private stopped = false;

  private constructor(
    readonly id: string,
    readonly client: ToxiproxyClient,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    private readonly startTicks: string,
    private readonly stateDir: string,
    private readonly registry: PidRegistry | undefined,
  ) {}

  static async start(options: ToxiproxyServerOptions = {}): Promise<ToxiproxyServer> {
    const stateDir = options.stateDir ?? defaultStateDir();
    const id = checkNetworkId(options.id ?? randomBytes(4).toString("hex").slice(0, 6));
    const binary = options.binary ?? process.env.SHAKEDOWN_TOXIPROXY ?? installedToxiproxy();
    const port = options.port ?? (await freePort());
    const host = options.netns?.address ?? "127.0.0.1";
    if (!host.startsWith("127.")) {
      throw new ToxiproxyStartError(`the server listens on 127.0.0.0/8 only, not ${host}`, "");
    }
    const args = ["-host", host, "-port", String(port)];
    const command =
      options.netns === undefined
        ? { command: binary, args }
        : netnsExec(options.netns.namespace, binary, args);
    mkdirSync(recordsDir(stateDir), { recursive: true });
    const logPath = join(recordsDir(stateDir), `${id}.log`);
    // Output goes to a file, not a pipe: a Go program that writes to a pipe whose reader died (a crashed
    // engine) is killed by SIGPIPE, and the server must stay put until heal or recover removes its toxics.
    const log = openSync(logPath, "a");
    // `ip netns exec` enters the namespace and execs the server: the PID recorded is the server's own.
    const child = spawn(command.command, command.args, {
      // Toxiproxy logs every connection at info level; warnings and errors are what a report needs.
      env: { ...process.env, LOG_LEVEL: "warn" },
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    const tail = () => {
      try {
        return readFileSync(logPath, "utf8").split("\n").slice(-TAIL_LINES).join("\n").trim();
      } catch {
        return "";
      }
    };
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (child.pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once("error", resolve));
      throw new ToxiproxyStartError(`${binary} could not be started: ${error.message}`, "");
    }
    const startTicks = processStartTicks(child.pid) ?? "";
    options.registry?.add({ name: `toxiproxy-${id}`, pid: child.pid, startTicks });
    const server = new ToxiproxyServer(
      id,
      new ToxiproxyClient(`http://${host}:${port}`),
      child,
      exited,
      startTicks,
      stateDir,
      options.registry,
    );
    server.save();
    const deadline = Date.now() + START_TIMEOUT_MILLIS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        await server.client.version();
        return server;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await server.stop();
    throw new ToxiproxyStartError(
      child.exitCode !== null || child.signalCode !== null
        ? `it exited (${child.exitCode ?? child.signalCode})`
        : `its API on ${host}:${port} did not answer within ${START_TIMEOUT_MILLIS} ms`,
      tail(),
    );
  }

  get apiUrl(): string {
    return this.client.apiUrl;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  links(): readonly ToxiproxyLink[] {
    return this.created;
  }

  /**
   * Creates the proxy `shk-<id>-<from>-<to>` on a free port of `listenHost` (loopback, or a host network's
   * address in 127.0.0.0/8; default the server's own address) forwarding to the node; the topology then
   * points the caller at `listen`.
   */
  async addLink(
    from: string,
    to: string,
    upstream: { host: string; port: number },
    listenHost = new URL(this.apiUrl).hostname,
  ): Promise<ToxiproxyLink> {
    if (!listenHost.startsWith("127.")) {
      throw new ToxiproxyStartError(`proxies listen on 127.0.0.0/8 only, not ${listenHost}`, "");
    }
    const proxy = `${NAME_PREFIX}${this.id}-${checkNodeName(from)}-${checkNodeName(to)}`;
    if (this.created.some((link) => link.proxy === proxy)) {
      throw new ToxiproxyStartError(`a link from ${from} to ${to} already exists`, "");
    }
    // freePort's port may be taken again before Toxiproxy binds it: three tries.
    for (let attempt = 1; ; attempt++) {
      const listen = `${listenHost}:${await freePort()}`;
      try {
        await this.client.createProxy(proxy, listen, `${upstream.host}:${upstream.port}`);
        const link = { proxy, from, to, listen, upstream: `${upstream.host}:${upstream.port}` };
        this.created.push(link);
        this.save();
        return link;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  private save(): void {
    writeRecord(this.stateDir, {
      v: 1,
      id: this.id,
      apiUrl: this.apiUrl,
      pid: this.pid,
      startTicks: this.startTicks,
      links: this.created,
    });
  }

  /** Stops the server (SIGTERM, SIGKILL after 5 s), which drops every proxy and toxic; runs once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    this.registry?.remove(this.pid);
    rmSync(join(recordsDir(this.stateDir), `${this.id}.json`), { force: true });
    rmSync(join(recordsDir(this.stateDir), `${this.id}.log`), { force: true });
  }
}

const INSTALLED_TOXIPROXY = join(projectRoot, ".tools", "bin", "toxiproxy-server");

function installedToxiproxy(): string {
  return existsSync(INSTALLED_TOXIPROXY) ? INSTALLED_TOXIPROXY : "toxiproxy-server";
}
