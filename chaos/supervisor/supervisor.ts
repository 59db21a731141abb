import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as sleepFor } from "node:timers/promises";
import { NodeStartError, TopologyError, UnknownNodeError } from "../errors.js";
import { netnsExec } from "../netns/network.js";
import type { NodeSpec, NodeStatus } from "./node-spec.js";
import { type PidRegistry, processStartTicks } from "./pid-registry.js";

export type OutputStream = "stdout" | "stderr";

export interface SupervisorOptions {
  /** Where owned PIDs are recorded for `recover`; none in tests that need no recovery. */
  registry?: PidRegistry;
  /** Every line a node writes, for capture as logs. */
  onOutput?: (node: NodeStatus, stream: OutputStream, line: string) => void;
  /** A node exited without being asked to. */
  onUnexpectedExit?: (node: NodeStatus) => void;
}

interface Managed {
  spec: NodeSpec;
  child: ChildProcess;
  status: NodeStatus;
  exited: Promise<void>;
  stopping: boolean;
  /** The stop signals sent so far, with when (performance.now()). */
  signals: SentSignal[];
  tail: string[];
}

export interface SentSignal {
  readonly signal: NodeJS.Signals;
  readonly sentAtMillis: number;
}

/** A node asked to stop whose process has not exited (yet): what a stop that hangs is waiting for. */
export interface PendingStop {
  readonly name: string;
  readonly pid: number;
  readonly signals: readonly SentSignal[];
}

/** "ledger-1 (pid 4873: SIGTERM 12.0 s ago, SIGKILL 2.0 s ago)". */
function describePendingStop(stop: PendingStop, nowMillis = performance.now()): string {
  const signals = stop.signals.map(
    ({ signal, sentAtMillis }) => `${signal} ${((nowMillis - sentAtMillis) / 1000).toFixed(1)} s ago`,
  );
  return `${stop.name} (pid ${stop.pid}: ${signals.join(", ")})`;
}

const DEFAULT_START_TIMEOUT_MILLIS = 60_000;
const DEFAULT_STOP_TIMEOUT_MILLIS = 10_000;
const PROBE_INTERVAL_MILLIS = 100;
const TAIL_LINES = 20;
const MAX_LINE_CHARS = 16_384;

/** `exitCode` stays null for a process ended by a signal; `signalCode` is set then. */
function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/**
 * Groups nodes into start levels: every node's dependencies sit in earlier levels, or among the nodes
 * `running` already (a topology started in stages).
 */
export function startLevels(
  specs: readonly NodeSpec[],
  running: ReadonlySet<string> = new Set(),
): NodeSpec[][] {
  const byName = new Map<string, NodeSpec>();
  for (const spec of specs) {
    if (byName.has(spec.name)) throw new TopologyError(`two nodes are named ${spec.name}`);
    byName.set(spec.name, spec);
  }
  for (const spec of specs) {
    for (const dependency of spec.dependsOn ?? []) {
      if (!byName.has(dependency))
        throw new TopologyError(`${spec.name} depends on unknown node ${dependency}`);
    }
  }
  const levels: NodeSpec[][] = [];
  const placed = new Set<string>(running);
  while ([...byName.keys()].some((name) => !placed.has(name))) {
    const level = specs.filter((s) => !placed.has(s.name) && (s.dependsOn ?? []).every((d) => placed.has(d)));
    if (level.length === 0) {
      const stuck = specs.filter((s) => !placed.has(s.name)).map((s) => s.name);
      throw new TopologyError(`dependency cycle among ${stuck.join(", ")}`);
    }
    for (const spec of level) placed.add(spec.name);
    levels.push(level);
  }
  return levels;
}

/**
 * Starts a topology's nodes in dependency order, waits for each to be healthy, captures their output, and
 * stops them: only processes it started, by PID.
 */
export class Supervisor {
  private readonly managed = new Map<string, Managed>();
  private order: string[] = [];
  /** Node names by start level, in the order the levels were started. */
  private readonly levels: string[][] = [];
  /** Set by the engine over every spec's environment, for nodes started from then on. */
  private readonly startEnvironment = new Map<string, string>();
  /** `stopAll` calls begun, and whether one runs: a restart that overlaps one must not start its node. */
  private stopAllsBegun = 0;
  private stoppingAll = false;

  constructor(private readonly options: SupervisorOptions = {}) {}

  /** Starts nodes; may be called again to add a later stage that depends on nodes already running. */
  async start(specs: readonly NodeSpec[]): Promise<void> {
    const levels = startLevels(specs, new Set(this.managed.keys()));
    try {
      for (const level of levels) {
        // Recorded first, so a level that fails half-way is still stopped.
        this.levels.push(level.map((spec) => spec.name));
        await Promise.all(level.map((spec) => this.launch(spec)));
      }
    } catch (error) {
      await this.stopAll();
      throw error;
    }
  }

  status(name: string): NodeStatus {
    return { ...this.get(name).status };
  }

  statuses(): NodeStatus[] {
    return this.order.map((name) => this.status(name));
  }

  pids(): number[] {
    return [...this.managed.values()].filter((m) => !hasExited(m.child)).map((m) => m.status.pid);
  }

  /** An environment variable every node started from now on gets over its spec's; undefined removes it. */
  setStartEnvironment(name: string, value: string | undefined): void {
    if (value === undefined) this.startEnvironment.delete(name);
    else this.startEnvironment.set(name, value);
  }

  /** The nodes asked to stop (by `stop`, `stopAll` or `restart`) that have not exited, in start order. */
  private pendingStops(): PendingStop[] {
    return this.order.flatMap((name) => {
      const managed = this.managed.get(name);
      if (managed === undefined || !managed.stopping || hasExited(managed.child)) return [];
      return [{ name, pid: managed.status.pid, signals: [...managed.signals] }];
    });
  }

  /** `pendingStops`, one line: "ledger-1 (pid 4873: SIGTERM 12.0 s ago, SIGKILL 2.0 s ago), ...". */
  describePendingStops(): string {
    return this.pendingStops()
      .map((stop) => describePendingStop(stop))
      .join(", ");
  }

  /**
   * Stops the node (SIGTERM, then SIGKILL after its stop timeout) and starts it again from its spec. Refused
   * with NodeStartError, the node left stopped, when `stopAll` runs or began while the old process stopped.
   */
  async restart(name: string): Promise<void> {
    const managed = this.get(name);
    const begun = this.stopAllsBegun;
    await this.stop(name);
    // stopAll has passed this node, or waited only for the old process: one started now would outlive the
    // topology, its pipes keeping the engine alive and its telemetry exports the collector from closing.
    if (this.stoppingAll || this.stopAllsBegun !== begun) {
      throw new NodeStartError(name, "the topology is being stopped", "");
    }
    await this.launch(managed.spec, managed.status.restarts + 1);
  }

  /** Stops one node; a node asked to stop is never reported as an unexpected exit. */
  async stop(name: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const managed = this.get(name);
    managed.stopping = true;
    if (hasExited(managed.child)) return;
    this.signal(managed, signal);
    const timeout = managed.spec.stopTimeoutMillis ?? DEFAULT_STOP_TIMEOUT_MILLIS;
    // Cancelled once the node exits, so a stop that is done leaves no timer holding the process open.
    const exitedFirst = new AbortController();
    const killed = sleepFor(timeout, "timeout" as const, { signal: exitedFirst.signal }).catch(
      () => "exited" as const,
    );
    const first = await Promise.race([managed.exited.then(() => "exited" as const), killed]);
    exitedFirst.abort();
    if (first === "timeout") {
      this.signal(managed, "SIGKILL");
      await managed.exited;
    }
  }

  /**
   * Stops every node, level by level, the last started first: dependents go before what they depend on, and
   * the nodes of one level, none depending on another, go together.
   */
  async stopAll(): Promise<void> {
    this.stopAllsBegun++;
    this.stoppingAll = true;
    try {
      for (const level of [...this.levels].reverse()) {
        await Promise.all(level.filter((name) => this.managed.has(name)).map((name) => this.stop(name)));
      }
    } finally {
      this.stoppingAll = false;
    }
  }

  private signal(managed: Managed, signal: NodeJS.Signals): void {
    managed.signals.push({ signal, sentAtMillis: performance.now() });
    managed.child.kill(signal);
  }

  private get(name: string): Managed {
    const managed = this.managed.get(name);
    if (managed === undefined) throw new UnknownNodeError(name);
    return managed;
  }

  private async launch(spec: NodeSpec, restarts = 0): Promise<void> {
    // `ip netns exec` enters the namespace and then execs the command: the PID is still the node's own.
    const { command, args } =
      spec.netns === undefined ? spec : netnsExec(spec.netns, spec.command, spec.args);
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, ...Object.fromEntries(this.startEnvironment) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid === undefined) {
      await new Promise((resolve) => child.once("error", resolve));
      throw new NodeStartError(spec.name, `${spec.command} could not be started`, "");
    }
    this.options.registry?.add({
      name: spec.name,
      pid: child.pid,
      startTicks: processStartTicks(child.pid) ?? "",
    });
    const status: NodeStatus = {
      name: spec.name,
      role: spec.role,
      pid: child.pid,
      state: "starting",
      host: spec.host ?? "127.0.0.1",
      ports: spec.ports,
      restarts,
      exitCode: null,
      exitSignal: null,
    };
    const managed: Managed = {
      spec,
      child,
      status,
      stopping: false,
      signals: [],
      tail: [],
      exited: new Promise((resolve) => {
        child.once("exit", (code, signal) => {
          status.exitCode = code;
          status.exitSignal = signal;
          status.state = managed.stopping ? "stopped" : "exited";
          this.options.registry?.remove(status.pid);
          if (!managed.stopping) this.options.onUnexpectedExit?.({ ...status });
          resolve();
        });
      }),
    };
    for (const stream of ["stdout", "stderr"] as const) {
      createInterface({
        input: child[stream] as NodeJS.ReadableStream,
        crlfDelay: Number.POSITIVE_INFINITY,
      }).on("line", (line: string) => {
        const text = line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line;
        managed.tail.push(text);
        if (managed.tail.length > TAIL_LINES) managed.tail.shift();
        this.options.onOutput?.({ ...status }, stream, text);
      });
    }
    this.managed.set(spec.name, managed);
    if (!this.order.includes(spec.name)) this.order.push(spec.name);
    await this.awaitHealthy(managed);
  }

  private async awaitHealthy(managed: Managed): Promise<void> {
    const { spec, child, status } = managed;
    const deadline = Date.now() + (spec.startTimeoutMillis ?? DEFAULT_START_TIMEOUT_MILLIS);
    while (Date.now() < deadline) {
      if (hasExited(child)) {
        throw new NodeStartError(
          spec.name,
          `it exited (${child.exitCode ?? child.signalCode}) before ${spec.health.description} answered`,
          managed.tail.join("\n"),
        );
      }
      if (await spec.health.check(AbortSignal.timeout(1_000))) {
        status.state = "healthy";
        return;
      }
      await sleep(PROBE_INTERVAL_MILLIS);
    }
    throw new NodeStartError(
      spec.name,
      `${spec.health.description} did not answer within ${spec.startTimeoutMillis ?? DEFAULT_START_TIMEOUT_MILLIS} ms`,
      managed.tail.join("\n"),
    );
  }
}
