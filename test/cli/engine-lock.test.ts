import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PidRegistry, stillRunning } from "../../chaos/supervisor/pid-registry.js";
import { projectRoot } from "../../collector/paths.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-engine-lock-"));
const bin = join(projectRoot, "bin", "shakedown.js");
const topology = join(projectRoot, "dist", "test", "chaos", "faults", "fixtures", "topology.js");
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const FREE_PORTS = [
  "--otlp-http-port",
  "0",
  "--otlp-grpc-port",
  "0",
  "--api-port",
  "0",
  "--gateway-port",
  "0",
];

/** A long experiment that changes nothing, so the `run` holding the lock can be interrupted at any time. */
function longExperiment(): string {
  const path = join(folder, "long.yaml");
  writeFileSync(path, "title: a long wait\nmethod:\n  - { at: 0s, fault: noop, duration: 5m }\n");
  return path;
}

function shakedown(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: folder, encoding: "utf8", timeout: 60_000 });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** Polls (bounded) until `check` holds or the child exits. */
async function until(check: () => boolean, child: ChildProcess, timeoutMillis: number): Promise<boolean> {
  for (let waited = 0; waited < timeoutMillis && child.exitCode === null; waited += 100) {
    if (check()) return true;
    await sleep(100);
  }
  return check();
}

/** Every process a state directory's registry still lists, stopped should a test fail half-way. */
function cleanUp(stateDir: string): void {
  for (const owned of new PidRegistry(join(stateDir, "pids.jsonl")).live().filter(stillRunning)) {
    process.kill(owned.pid, "SIGKILL");
  }
}

describe("the engine lock between up, run and recover", () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    for (const name of ["run-first", "up-first"]) cleanUp(join(folder, name));
    rmSync(folder, { recursive: true, force: true });
  });

  it("shakedown up refuses a state directory a live run holds, naming the run's PID, and starts nothing", async () => {
    const stateDir = join(folder, "run-first");
    const engine = spawn(
      process.execPath,
      [bin, "run", longExperiment(), "--topology", topology, "--state-dir", stateDir],
      { cwd: folder, stdio: "ignore" },
    );
    children.push(engine);
    const journal = join(stateDir, "journal.jsonl");
    const injected = () => existsSync(journal) && readFileSync(journal, "utf8").includes('"type":"injected"');
    expect(await until(injected, engine, 30_000)).toBe(true);
    const runNodes = new PidRegistry(join(stateDir, "pids.jsonl")).live();
    expect(runNodes.map((owned) => owned.name).sort()).toEqual(["app-1", "web-1", "web-2"]);

    const database = join(folder, "refused.db");
    const up = shakedown(["up", "--run-dir", stateDir, "--db", database, ...FREE_PORTS]);
    expect(up.status).toBe(1);
    expect(up.stderr).toContain(
      `another shakedown engine (shakedown run, pid ${engine.pid}) is using ${join(stateDir, "engine.lock")}`,
    );
    expect(up.stdout).toBe("");
    expect(existsSync(database)).toBe(false);
    expect(runNodes.every(stillRunning)).toBe(true);

    engine.kill("SIGINT");
    await exited(engine);
    expect(existsSync(join(stateDir, "engine.lock"))).toBe(false);
    expect(runNodes.some(stillRunning)).toBe(false);
  });

  it("while shakedown up runs, run and recover refuse its state directory and leave its nodes running; Ctrl-C releases it", {
    timeout: 240_000,
  }, async () => {
    const stateDir = join(folder, "up-first");
    const up = spawn(
      process.execPath,
      [bin, "up", "--run-dir", stateDir, "--db", join(folder, "up.db"), ...FREE_PORTS],
      { cwd: folder, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(up);
    let output = "";
    up.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    up.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const lockPath = join(stateDir, "engine.lock");
    // The lock is taken before the first process starts, so a run is refused while the shop is coming up too.
    expect(await until(() => existsSync(lockPath), up, 30_000)).toBe(true);
    expect(JSON.parse(readFileSync(lockPath, "utf8"))).toMatchObject({
      pid: up.pid,
      command: "shakedown up",
    });
    expect(await until(() => output.includes("shakedown up: running"), up, 180_000), output).toBe(true);
    const registry = new PidRegistry(join(stateDir, "pids.jsonl"));
    const nodes = registry.live();
    expect(nodes.length).toBe(13);

    const busy = `another shakedown engine (shakedown up, pid ${up.pid}) is using ${lockPath}`;
    const run = shakedown(["run", longExperiment(), "--topology", topology, "--state-dir", stateDir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(busy);
    const recover = shakedown(["recover", "--state-dir", stateDir]);
    expect(recover.status).toBe(1);
    expect(recover.stderr).toContain(busy);
    expect(nodes.every(stillRunning)).toBe(true);
    expect(existsSync(join(stateDir, "nodes", "ledger.db"))).toBe(true);

    up.kill("SIGINT");
    expect(await exited(up)).toBe(0);
    expect(existsSync(lockPath)).toBe(false);
    expect(nodes.some(stillRunning)).toBe(false);
    const after = shakedown(["recover", "--state-dir", stateDir]);
    expect(after.status).toBe(0);
    expect(after.stdout).toMatch(/nothing to recover/);
  });
});
