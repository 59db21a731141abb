import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { until } from "../rpc/until.js";

const root = resolve(import.meta.dirname, "../../..");
const fixture = resolve(root, "dist/test/shop/registry/fixtures/registered-echo.js");

export interface RegisteredProcess {
  instanceId: string;
  address: string;
  pid: number;
  signal(signal: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if it still runs. */
  stop(): Promise<void>;
}

/** Spawns the compiled registered-echo fixture and waits until it has registered. */
export async function startRegisteredEcho(options: {
  etcdEndpoint: string;
  service: string;
  instanceId: string;
  ttlSeconds: number;
}): Promise<RegisteredProcess> {
  if (!existsSync(fixture)) throw new Error(`${fixture} is missing: run \`npm run build\` first`);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_")),
  );
  const child: ChildProcess = spawn(process.execPath, [fixture], {
    cwd: root,
    env: {
      ...inherited,
      OTEL_SDK_DISABLED: "true",
      ETCD_ENDPOINT: options.etcdEndpoint,
      SERVICE: options.service,
      INSTANCE_ID: options.instanceId,
      TTL_SECONDS: String(options.ttlSeconds),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("the registered-echo fixture did not start");
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  let port: number | undefined;
  await until(() => {
    if (child.exitCode !== null) throw new Error(`registered-echo exited (${child.exitCode}): ${stderr}`);
    for (const line of stdout.split("\n")) {
      if (!line.startsWith("{")) continue;
      const parsed = JSON.parse(line) as { msg?: string; port?: number };
      if (parsed.msg === "listening") port = parsed.port;
    }
    return port !== undefined;
  }, `${options.instanceId} to register`);
  return {
    instanceId: options.instanceId,
    address: `127.0.0.1:${port}`,
    pid,
    signal: (signal) => child.kill(signal),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
