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

/**
 * Takes the state directory for this process, so a second `run` or a `recover` cannot heal faults or stop
 * nodes of a live run. A lock left by a dead engine (its PID gone or reused) is taken over. Returns release.
 */
export function acquireLock(state: RunState): () => void {
  mkdirSync(state.dir, { recursive: true });
  const me = { name: "engine", pid: process.pid, startTicks: processStartTicks(process.pid) ?? "" };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(state.lockPath, "wx");
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => {
        try {
          const holder = JSON.parse(readFileSync(state.lockPath, "utf8")) as typeof me;
          if (holder.pid === me.pid) rmSync(state.lockPath, { force: true });
        } catch {}
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let holder: typeof me | null = null;
      try {
        holder = JSON.parse(readFileSync(state.lockPath, "utf8")) as typeof me;
      } catch {}
      if (holder !== null && stillRunning(holder)) throw new EngineBusyError(state.lockPath, holder.pid);
      rmSync(state.lockPath, { force: true });
    }
  }
  throw new EngineBusyError(state.lockPath, -1);
}
