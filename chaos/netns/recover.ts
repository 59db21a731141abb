import { interfaceExists, listNamespaces, teardownRecord } from "./network.js";
import {
  defaultStateDir,
  NAME_PREFIX,
  ownedNames,
  readNetworkRecords,
  removeNetworkRecord,
} from "./state.js";

export interface OwnedNetworkNames {
  readonly namespaces: readonly string[];
  readonly interfaces: readonly string[];
}

/**
 * The namespaces and root-namespace interfaces that exist now, start with `prefix`, and are named by a
 * network a state file records: what we created and may remove. A `shk-` name no record lists is left alone.
 */
export async function listOwned(
  prefix: string = NAME_PREFIX,
  stateDir: string = defaultStateDir(),
): Promise<OwnedNetworkNames> {
  const records = readNetworkRecords(stateDir);
  const recorded = records.map(ownedNames);
  const existing = new Set(await listNamespaces());
  const namespaces = recorded
    .flatMap((names) => names.namespaces)
    .filter((name) => name.startsWith(prefix) && existing.has(name));
  const interfaces: string[] = [];
  for (const name of recorded.flatMap((names) => names.interfaces)) {
    if (name.startsWith(prefix) && (await interfaceExists(name))) interfaces.push(name);
  }
  return { namespaces, interfaces };
}

export interface NetworkRecoverReport {
  /** Ids of the networks whose every name is now gone (their state files removed). */
  readonly recovered: readonly string[];
  /** Namespaces and interfaces removed, by name. */
  readonly removed: readonly string[];
  readonly failed: readonly { id: string; error: string }[];
}

/**
 * Removes every network a crashed engine left behind, as its state files record it, by exact name (and
 * with it every nftables table inside those namespaces). A network that cannot be removed keeps its state
 * file for the next attempt.
 */
export async function recoverNetworks(stateDir: string = defaultStateDir()): Promise<NetworkRecoverReport> {
  const recovered: string[] = [];
  const removed: string[] = [];
  const failed: { id: string; error: string }[] = [];
  for (const record of readNetworkRecords(stateDir)) {
    try {
      removed.push(...(await teardownRecord(record)));
      removeNetworkRecord(stateDir, record.id);
      recovered.push(record.id);
    } catch (error) {
      failed.push({ id: record.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { recovered, removed, failed };
}
