import { readFileSync } from "node:fs";
import type { NodeStatus } from "../supervisor/node-spec.js";
import { processStartTicks } from "../supervisor/pid-registry.js";
import type { Topology } from "./context.js";

/**
 * A process as an injection records it: the start ticks tell it apart from a later process that got the
 * same PID, so a heal (also from `recover`, much later) never signals a stranger.
 */
export type ProcessRef = {
  readonly node: string;
  readonly pid: number;
  readonly startTicks: string;
};

export function processRef(status: NodeStatus): ProcessRef {
  return { node: status.name, pid: status.pid, startTicks: processStartTicks(status.pid) ?? "" };
}

/** Field 3 of /proc/<pid>/stat (R, S, D, T, Z, ...), or null when there is no such process. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? null;
  } catch {
    return null;
  }
}

/** True while the very process recorded still exists and is not a zombie. */
export function sameProcess(ref: ProcessRef): boolean {
  if (ref.startTicks === "" || processStartTicks(ref.pid) !== ref.startTicks) return false;
  const state = processState(ref.pid);
  return state !== null && state !== "Z" && state !== "X";
}

/** Sends a signal to the recorded process only; false when it is gone (or its PID now belongs to another). */
export function signalProcess(ref: ProcessRef, signal: NodeJS.Signals): boolean {
  if (!sameProcess(ref)) return false;
  try {
    process.kill(ref.pid, signal);
    return true;
  } catch {
    return false;
  }
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** Polls `check` every few milliseconds until it holds or `timeoutMillis` passes; true if it held. */
export async function pollUntil(
  check: () => boolean,
  timeoutMillis: number,
  intervalMillis = 5,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMillis);
  }
}

/**
 * Brings a node back after a process fault: restarts it unless a newer process of it already serves, so a
 * second heal does nothing. Without a topology (in `recover`) there is nothing to restart: the crashed run's
 * nodes are being stopped, not revived.
 */
export async function ensureRunning(topology: Topology | null, ref: ProcessRef): Promise<void> {
  if (topology === null) return;
  const status = topology.statuses().find((node) => node.name === ref.node);
  if (status === undefined) return;
  if (status.pid !== ref.pid && status.state === "healthy") return;
  await topology.restart(ref.node);
}

export function describeRefs(refs: readonly ProcessRef[]): string {
  return refs.map((ref) => `${ref.node} (pid ${ref.pid})`).join(", ");
}
