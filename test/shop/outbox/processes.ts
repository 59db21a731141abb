import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { eventually } from "../../agents/eventually.js";

const root = resolve(import.meta.dirname, "../../..");

export type LogLine = Record<string, unknown>;

export interface ScriptProcess {
  pid: number;
  /** Parsed JSON lines written to stdout so far. */
  lines(): LogLine[];
  output(): string;
  /** Waits for the first stdout line whose msg is `msg`. */
  line(msg: string, deadlineMillis?: number): Promise<LogLine>;
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL by PID if it still runs, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM by PID if it still runs, and wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Runs a compiled test script (dist/test/shop/<path>.js) as its own Node process, with no OTEL_* variable
 * inherited from the runner, so a test can SIGKILL it at a moment that matters.
 */
export function spawnScript(path: string, env: Record<string, string>): ScriptProcess {
  const script = resolve(root, "dist/test/shop", `${path}.js`);
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npx tsc -p tsconfig.json\` first`);
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith("OTEL_")),
  );
  const child: ChildProcess = spawn(process.execPath, [script], {
    cwd: root,
    env: { ...inherited, OTEL_SDK_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: LogLine[] = [];
  let pending = "";
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    pending += chunk;
    const complete = pending.split("\n");
    pending = complete.pop() ?? "";
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // Not every line is JSON (a crash's stack trace); it stays in output().
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${script} did not start`);
  const end = async (signal: NodeJS.Signals) => {
    if (running()) process.kill(pid, signal);
    await exited;
  };
  return {
    pid,
    lines: () => lines,
    output: () => output,
    line: (msg, deadlineMillis = 60_000) =>
      eventually(
        `a "${msg}" line from ${path}`,
        () => {
          const found = lines.find((l) => l.msg === msg);
          if (found === undefined && !running())
            throw new Error(`${path} exited before "${msg}":\n${output}`);
          return found;
        },
        deadlineMillis,
      ),
    exit: () => exited,
    kill: () => end("SIGKILL"),
    stop: () => end("SIGTERM"),
  };
}
