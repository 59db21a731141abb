import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { CommandFailedError } from "./errors.js";

export interface CommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const SYSTEM_DIRS = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];
const DEFAULT_TIMEOUT_MILLIS = 10_000;

/**
 * Where a system tool lives: the environment variable `.tools/env.sh` exports (NFT), else PATH, else the sbin
 * folders a non-login shell may leave out of PATH. Null when it is nowhere.
 */
export function findTool(name: string, envVar?: string): string | null {
  const fromEnv = envVar === undefined ? undefined : process.env[envVar];
  if (fromEnv) return fromEnv;
  const dirs = [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** `ip`, or the bare name (the spawn error then says what is missing). */
export const ipTool = (): string => findTool("ip") ?? "ip";
export const nftTool = (): string => findTool("nft", "NFT") ?? "nft";

/** Runs a command without a shell (arguments are never parsed), bounded in time; never throws on exit codes. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMillis?: number; signal?: AbortSignal } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      timeout: options.timeoutMillis ?? DEFAULT_TIMEOUT_MILLIS,
      killSignal: "SIGKILL",
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", (error) => resolve({ exitCode: null, stdout, stderr: `${stderr}${error.message}` }));
    child.once("close", (code) => resolve({ exitCode: code, stdout, stderr }));
    child.stdin.on("error", () => {
      // The command may exit before reading its input; its exit code tells what happened.
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Runs a command and returns its stdout; a non-zero exit becomes a CommandFailedError naming the arguments. */
export async function mustRun(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMillis?: number; signal?: AbortSignal } = {},
): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.exitCode !== 0) throw new CommandFailedError(command, args, result.exitCode, result.stderr);
  return result.stdout;
}
