import { UnknownFaultError } from "../experiment/errors.js";
import { type FaultUnit, healsUnconfirmed } from "../experiment/fault-unit.js";
import { FileJournal, type PendingInjection, pendingInjections } from "./write-ahead.js";

export interface RecoverReport {
  readonly healed: readonly PendingInjection[];
  readonly failed: readonly { pending: PendingInjection; error: string }[];
}

/**
 * Heals what crashed runs left behind, newest first (undoing in reverse order, as a run would), and
 * journals each heal so a second recover does nothing. A failed heal stays pending for the next attempt.
 */
export async function healPending(
  journalPath: string,
  faults: Readonly<Record<string, FaultUnit>>,
  nowMillis: () => number = Date.now,
): Promise<RecoverReport> {
  const pending = pendingInjections(journalPath).reverse();
  const healed: PendingInjection[] = [];
  const failed: { pending: PendingInjection; error: string }[] = [];
  if (pending.length === 0) return { healed, failed };
  const journal = new FileJournal(journalPath);
  try {
    for (const entry of pending) {
      try {
        const unit = faults[entry.fault];
        if (unit === undefined) throw new UnknownFaultError(entry.fault, Object.keys(faults));
        if (entry.injection !== null) {
          await unit.heal(entry.injection);
        } else if (healsUnconfirmed(unit)) {
          await unit.healUnconfirmed(entry.target, entry.config);
        } else {
          throw new Error(`fault ${entry.fault} cannot heal an injection that was never journaled`);
        }
        journal.append({
          type: "healed",
          runId: entry.runId,
          actionId: entry.actionId,
          timeMillis: nowMillis(),
        });
        healed.push(entry);
      } catch (error) {
        failed.push({ pending: entry, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    journal.close();
  }
  return { healed, failed };
}
