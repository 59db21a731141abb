import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "./paths.js";

export interface CollectorProcess {
  child: ChildProcess;
  pid: number;
  otlpHttp: string;
  otlpGrpc: string;
  api: string;
  output: () => string;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
  /** Sends SIGKILL and waits until the process is gone. */
  kill(): Promise<void>;
}

/** Runs `shakedown collector` as a real process on free ports and waits until it prints where it listens. */
export function spawnCollector(dbPath: string, extraArgs: string[] = []): Promise<CollectorProcess> {
  const child = spawn(
    process.execPath,
    [
      join(projectRoot, "bin", "shakedown.js"),
      "collector",
      "--db",
      dbPath,
      "--otlp-http-port",
      "0",
      "--otlp-grpc-port",
      "0",
      "--api-port",
      "0",
      ...extraArgs,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const http = /OTLP\/HTTP\s+(\S+)/.exec(output)?.[1];
      const grpc = /OTLP\/gRPC\s+(\S+)/.exec(output)?.[1];
      const api = /API\s+(\S+)\/api\//.exec(output)?.[1];
      if (http && grpc && api && child.pid !== undefined) {
        child.stdout?.off("data", onData);
        child.stdout?.on("data", (more: Buffer) => {
          output += more.toString();
        });
        resolve({
          child,
          pid: child.pid,
          otlpHttp: http,
          otlpGrpc: grpc,
          api,
          output: () => output,
          stop: () => {
            child.kill("SIGTERM");
            return exited;
          },
          kill: async () => {
            child.kill("SIGKILL");
            await exited;
          },
        });
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) =>
      reject(new Error(`collector exited with ${code} before listening:\n${output}`)),
    );
  });
}
