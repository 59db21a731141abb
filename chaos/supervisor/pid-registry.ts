import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * A file of the processes a supervisor started, written before anything else can go wrong, so that a later
 * `shakedown recover` can stop what a killed supervisor left behind, and only that. The kernel's start time
 * of each process is recorded with its PID: a PID the kernel has since reused belongs to someone else.
 */
export interface OwnedProcess {
  name: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  startTicks: string;
}

export function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses; fields after its closing ")" are plain.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True while `owned` is still the very process that was started (same PID and same start time). */
export function stillRunning(owned: OwnedProcess): boolean {
  return processStartTicks(owned.pid) === owned.startTicks;
}

export class PidRegistry {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  add(owned: OwnedProcess): void {
    appendFileSync(this.path, `${JSON.stringify({ op: "add", ...owned })}\n`);
  }

  remove(pid: number): void {
    appendFileSync(this.path, `${JSON.stringify({ op: "remove", pid })}\n`);
  }

  /** The processes added and not removed since, in the order they were started. */
  live(): OwnedProcess[] {
    if (!existsSync(this.path)) return [];
    const owned = new Map<number, OwnedProcess>();
    for (const line of readFileSync(this.path, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      let entry: { op: string } & OwnedProcess;
      try {
        entry = JSON.parse(line);
      } catch {
        // A line torn by a crash mid-write carries nothing recover could act on.
        continue;
      }
      if (entry.op === "add")
        owned.set(entry.pid, { name: entry.name, pid: entry.pid, startTicks: entry.startTicks });
      else if (entry.op === "remove") owned.delete(entry.pid);
    }
    return [...owned.values()];
  }

  clear(): void {
    writeFileSync(this.path, "");
  }
}
