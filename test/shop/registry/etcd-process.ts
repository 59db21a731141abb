import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../../chaos/ports.js";
import { etcdArgs } from "../../../fixtures/shop/topology/nodes.js";

/**
 * A real etcd that can be killed and started again on the same port, keeping or losing its data: the
 * registry's outage and restart cases. (test/helpers/servers.ts starts etcd once; a restart needs the port
 * and data folder kept.)
 */
export interface RestartableEtcd {
  endpoint: string;
  running(): boolean;
  /** SIGKILL, as a crash; the data folder stays. */
  kill(): Promise<void>;
  /** Starts etcd again on the same port; `wipe` first deletes its data, as a member replaced empty. */
  start(options?: { wipe?: boolean }): Promise<void>;
  /** Kills it if running and removes its folder. */
  destroy(): Promise<void>;
}

export async function startRestartableEtcd(): Promise<RestartableEtcd> {
  const port = await freePort();
  const peerPort = await freePort();
  const folder = mkdtempSync(join(tmpdir(), "shakedown-registry-etcd-"));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const kill = async () => {
    if (running()) child?.kill("SIGKILL");
    await exited;
  };

  const start = async ({ wipe = false } = {}) => {
    await kill();
    if (wipe) rmSync(join(folder, "data"), { recursive: true, force: true });
    let output = "";
    const started = spawn(
      process.env.ETCD ?? "etcd",
      etcdArgs(
        { name: "registry-test", clientPort: port, peerPort },
        [{ name: "registry-test", clientPort: port, peerPort }],
        join(folder, "data"),
      ),
      { cwd: folder, stdio: ["ignore", "pipe", "pipe"] },
    );
    started.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    started.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child = started;
    exited = new Promise((resolve) => started.once("exit", () => resolve()));
    // Bounded: 300 polls of 50 ms.
    for (let attempt = 0; attempt < 300; attempt++) {
      if (started.exitCode !== null) throw new Error(`etcd exited with ${started.exitCode}:\n${output}`);
      if (await accepts(port)) return;
      await sleep(50);
    }
    await kill();
    throw new Error(`etcd did not accept connections on ${port}:\n${output}`);
  };

  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    running,
    kill,
    start,
    destroy: async () => {
      await kill();
      rmSync(folder, { recursive: true, force: true });
    },
  };
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
