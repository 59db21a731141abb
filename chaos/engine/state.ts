import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { processStartTicks, stillRunning } from "../supervisor/pid-registry.js";
import { EngineBusyError } from "./errors.js";

/** Where an engine keeps what outlives a crash: the write-ahead journal and the PIDs it owns. */
export interface RunState {
  readonly dir: string;
  readonly journalPath: string;
  readonly pidsPath: string;
  readonly lockPath: string;
}

export const DEFAULT_STATE_DIR = ".data/run";

export function runState(dir: string = DEFAULT_STATE_DIR): RunState {
  const absolute = resolve(dir);
  return {
    dir: absolute,
    journalPath: join(absolute, "journal.jsonl"),
    pidsPath: join(absolute, "pids.jsonl"),
    lockPath: join(absolute, "engine.lock"),
  };
}

/** What the lock file holds: the holder's PID with its start ticks (a reused PID is no holder) and command. */
interface LockHolder {
  readonly name: "engine";
  readonly pid: number;
  readonly startTicks: string;
  /** The CLI command holding it (`shakedown up`); absent in locks written before it was recorded. */
  readonly command?: string;
}

/**
 * Takes the state directory for this process, so that no two of `up`, `demo`, `run` and `recover` share it:
 * a `run` or `recover` would otherwise stop or heal the nodes of a live `up`, and `up` would start a second
 * shop over a live run's files. A lock left by a dead holder (its PID gone or reused) is taken over.
 * `command` names this process in the error another one gets. Returns release, which is idempotent and
 * never removes a lock another process has taken since.
 */
export function acquireLock(state: RunState, command: string): () => void {
  mkdirSync(state.dir, { recursive: true });
  const me: LockHolder = {
    name: "engine",
    pid: process.pid,
    startTicks: processStartTicks(process.pid) ?? "",
    command,
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(state.lockPath, "wx");
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => {
        try {
          const holder = JSON.parse(readFileSync(state.lockPath, "utf8")) as LockHolder;
          if (holder.pid === me.pid) rmSync(state.lockPath, { force: true });
        } catch {}
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let holder: LockHolder | null = null;
      try {
        holder = JSON.parse(readFileSync(state.lockPath, "utf8")) as LockHolder;
      } catch {}
      if (holder !== null && stillRunning(holder))
        throw new EngineBusyError(state.lockPath, holder.pid, holder.command ?? null);
      rmSync(state.lockPath, { force: true });
    }
  }
  throw new EngineBusyError(state.lockPath, -1, null);
}
