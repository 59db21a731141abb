import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { eventually } from "./eventually.js";

const root = resolve(import.meta.dirname, "../..");
const register = resolve(root, "dist/agents/register.js");

/** Delays so long that nothing is exported on schedule: whatever arrives was flushed by a shutdown. */
export const HOLD_EXPORTS = {
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_BSP_SCHEDULE_DELAY: "600000",
  OTEL_BLRP_SCHEDULE_DELAY: "600000",
  OTEL_METRIC_EXPORT_INTERVAL: "600000",
};

export type LogLine = Record<string, unknown>;

export interface AppProcess {
  /** The port the app logged in its "listening" line. */
  port: number;
  /** Parsed JSON lines the app has written to stdout so far. */
  lines(): LogLine[];
  stderr(): string;
  /** Waits for the first stdout line whose msg is `msg`. */
  line(msg: string): Promise<LogLine>;
  signal(signal: NodeJS.Signals): void;
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process by its pid if it still runs. */
  stop(): void;
}

/**
 * Runs a compiled fixture (dist/test/agents/fixtures/<name>.js) as `node --import register.js` (or as plain
 * `node` for a fixture that starts the agent itself), with no OTEL_* variable inherited from the test
 * runner, and waits for its "listening" line.
 */
export async function startApp(
  fixture: string,
  env: Record<string, string>,
  { importAgent = true } = {},
): Promise<AppProcess> {
  const app = resolve(root, `dist/test/agents/fixtures/${fixture}.js`);
  if (!existsSync(register) || !existsSync(app)) {
    throw new Error(`${register} or ${app} is missing: run \`npm run build\` first`);
  }
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_")),
  );
  const child = spawn(process.execPath, importAgent ? ["--import", register, app] : [app], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: LogLine[] = [];
  let pending = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const complete = pending.split("\n");
    pending = complete.pop() ?? "";
    for (const line of complete) if (line.trim() !== "") lines.push(JSON.parse(line) as LogLine);
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = exitOf(child);
  const line = (msg: string) =>
    eventually(`a "${msg}" line on stdout`, () => lines.find((l) => l.msg === msg));
  const listening = await Promise.race([
    line("listening"),
    exited.then(({ code }) => {
      throw new Error(`${fixture} exited (${code}) before listening: ${stderr}`);
    }),
  ]);
  return {
    port: Number(listening.port),
    lines: () => lines,
    stderr: () => stderr,
    line,
    signal: (signal) => child.kill(signal),
    exit: () => exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(child.pid, "SIGKILL");
      }
    },
  };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}
