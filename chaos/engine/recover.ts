import { existsSync, readFileSync, rmSync } from "node:fs";
import { detachedContext } from "../faults/context.js";
import { recoverToxiproxy } from "../faults/network/toxiproxy.js";
import { pollUntil } from "../faults/process.js";
import { createFaults } from "../faults/registry.js";
import { healPending, type RecoverReport } from "../journal/recover.js";
import { pendingInjections } from "../journal/write-ahead.js";
import { type NetworkRecoverReport, recoverNetworks } from "../netns/recover.js";
import { type OwnedProcess, PidRegistry, stillRunning } from "../supervisor/pid-registry.js";
import type { RunState } from "./state.js";

/** The parent PID (field 4 of /proc/<pid>/stat), or null when the process is gone. */
function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/**
 * An orphan's engine died, so the kernel gave it to PID 1. A recorded process whose parent still lives
 * belongs to a live engine (`shakedown up` shares the run directory) and is left alone. Where a subreaper
 * adopts orphans instead of PID 1, such orphans are reported as still owned, not stopped.
 */
function liveOwner(owned: OwnedProcess): number | null {
  const parent = parentPid(owned.pid);
  return parent === null || parent <= 1 ? null : parent;
}

export interface RecoveryReport {
  /** Network namespaces, interfaces and Toxiproxy servers a crashed run left, removed by recorded name. */
  readonly networks: NetworkRecoverReport;
  readonly toxiproxyStopped: readonly number[];
  readonly healed: RecoverReport["healed"];
  readonly healFailed: RecoverReport["failed"];
  /** Orphans this recover stopped. */
  readonly stopped: readonly OwnedProcess[];
  /** Recorded processes already gone, or whose PID now belongs to another process (left alone). */
  readonly gone: readonly OwnedProcess[];
  readonly stopFailed: readonly OwnedProcess[];
  /** Recorded processes whose engine is still alive (a running `shakedown up`): not orphans. */
  readonly owned: readonly { process: OwnedProcess; parentPid: number }[];
}

const TERM_GRACE_MILLIS = 5000;

/** Stops one orphan: resumed first (a paused process cannot act on SIGTERM), then SIGTERM, then SIGKILL. */
async function stopOrphan(owned: OwnedProcess): Promise<boolean> {
  const signal = (name: NodeJS.Signals) => {
    try {
      if (stillRunning(owned)) process.kill(owned.pid, name);
    } catch {}
  };
  signal("SIGCONT");
  signal("SIGTERM");
  if (await pollUntil(() => !stillRunning(owned), TERM_GRACE_MILLIS, 20)) return true;
  signal("SIGKILL");
  return pollUntil(() => !stillRunning(owned), TERM_GRACE_MILLIS, 20);
}

/**
 * Heals what crashed runs left behind (the journal's pending injections, newest first: SIGCONT for paused
 * processes, in-process faults cleared, switches restored), then stops the orphans in the PID registry:
 * only processes whose PID and kernel start time both match the record, never by name or pattern.
 * The caller holds the state's lock.
 */
export async function recoverRunState(state: RunState): Promise<RecoveryReport> {
  const { healed, failed } = await healPending(state.journalPath, createFaults(detachedContext()));
  const registry = new PidRegistry(state.pidsPath);
  const stopped: OwnedProcess[] = [];
  const gone: OwnedProcess[] = [];
  const stopFailed: OwnedProcess[] = [];
  const stillOwned: { process: OwnedProcess; parentPid: number }[] = [];
  for (const owned of registry.live()) {
    const parent = stillRunning(owned) ? liveOwner(owned) : null;
    if (parent !== null) {
      stillOwned.push({ process: owned, parentPid: parent });
      continue;
    }
    if (!stillRunning(owned)) gone.push(owned);
    else if (await stopOrphan(owned)) stopped.push(owned);
    else {
      stopFailed.push(owned);
      continue;
    }
    registry.remove(owned.pid);
  }
  // A journal with nothing pending holds only history; the next run starts it afresh.
  if (existsSync(state.journalPath) && pendingInjections(state.journalPath).length === 0) {
    rmSync(state.journalPath, { force: true });
  }
  if (stopFailed.length === 0 && stillOwned.length === 0) registry.clear();
  // After the journal's heals (which delete their nftables tables): what is left are the hosts themselves.
  const networks = await recoverNetworks();
  const toxiproxyStopped = await recoverToxiproxy();
  return {
    networks,
    toxiproxyStopped,
    healed,
    healFailed: failed,
    stopped,
    gone,
    stopFailed,
    owned: stillOwned,
  };
}

export function recoveredAnything(report: RecoveryReport): boolean {
  return (
    report.healed.length +
      report.healFailed.length +
      report.stopped.length +
      report.stopFailed.length +
      report.networks.removed.length +
      report.networks.failed.length +
      report.toxiproxyStopped.length >
    0
  );
}

export function recoveryProblems(report: RecoveryReport): number {
  return report.healFailed.length + report.stopFailed.length + report.networks.failed.length;
}

/** One line per thing recover did or could not do. */
export function describeRecovery(report: RecoveryReport): string[] {
  const lines: string[] = [];
  for (const name of report.networks.removed) lines.push(`removed ${name}`);
  for (const { id, error } of report.networks.failed) lines.push(`could not remove network ${id}: ${error}`);
  for (const pid of report.toxiproxyStopped) lines.push(`stopped toxiproxy-server ${pid}`);
  for (const entry of report.healed)
    lines.push(`healed ${entry.fault} (run ${entry.runId}, action ${entry.actionId})`);
  for (const { pending, error } of report.healFailed) {
    lines.push(
      `could not heal ${pending.fault} (run ${pending.runId}, action ${pending.actionId}): ${error}`,
    );
  }
  for (const owned of report.stopped) lines.push(`stopped orphan ${owned.name} (pid ${owned.pid})`);
  for (const owned of report.stopFailed) lines.push(`could not stop orphan ${owned.name} (pid ${owned.pid})`);
  for (const { process, parentPid } of report.owned) {
    lines.push(
      `left ${process.name} (pid ${process.pid}) alone: its engine (pid ${parentPid}) is still running`,
    );
  }
  return lines;
}
