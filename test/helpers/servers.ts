import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../chaos/ports.js";
import { etcdArgs } from "../../fixtures/shop/topology/nodes.js";

/**
 * Real Redis and etcd servers for tests: each on free loopback ports, in its own temp folder, stopped by the PID
 * this helper started. The binaries come from scripts/setup.sh (Debian's redis-server and etcd).
 */

export interface RealServer {
  pid: number;
  host: string;
  port: number;
  /** SIGTERM, wait for exit, remove the data folder. */
  stop(): Promise<void>;
  /** SIGKILL without cleanup of the data folder, as a crash. */
  kill(): Promise<void>;
  output(): string;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

async function launch(command: string, args: string[], port: number, dir: string): Promise<RealServer> {
  const child: ChildProcess = spawn(command, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command} did not start`);
  // Bounded wait for the port: 300 tries of 50 ms.
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}:\n${output}`);
    if (await accepts(port)) break;
    if (attempt === 299) {
      child.kill("SIGKILL");
      throw new Error(`${command} did not accept connections on ${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    pid,
    host: "127.0.0.1",
    port,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

export async function startRedis(): Promise<RealServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "shakedown-redis-"));
  return launch(
    process.env.REDIS_SERVER ?? "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    port,
    dir,
  );
}

export async function startEtcd(): Promise<RealServer & { endpoint: string }> {
  const port = await freePort();
  const member = { name: "test", clientPort: port, peerPort: await freePort() };
  const dir = mkdtempSync(join(tmpdir(), "shakedown-etcd-"));
  const server = await launch(
    process.env.ETCD ?? "etcd",
    etcdArgs(member, [member], join(dir, "data")),
    port,
    dir,
  );
  return { ...server, endpoint: `http://127.0.0.1:${port}` };
}
