import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../collector/paths.js";
import { NetnsInvalidError } from "./errors.js";

/**
 * Names of everything a host network creates. All start with `shk-` (nftables tables, which allow no
 * hyphen, with `shk_`), so that a listing shows at a glance what is ours; we still remove only names a state
 * file records, never everything that happens to match the prefix.
 */
export const NAME_PREFIX = "shk-";
export const TABLE_PREFIX = "shk_";

const ID_PATTERN = /^[a-z0-9]{1,8}$/;
const NODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

/** Interface names are limited to 15 characters by the kernel (IFNAMSIZ), hence ids of at most 8. */
export function checkNetworkId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new NetnsInvalidError(`network id "${id}" must be 1-8 of [a-z0-9]`);
  return id;
}

export function checkNodeName(node: string): string {
  if (!NODE_PATTERN.test(node)) {
    throw new NetnsInvalidError(`node name "${node}" must be 1-40 of [A-Za-z0-9_.-], starting alphanumeric`);
  }
  return node;
}

export const names = {
  /** The namespace that holds the bridge all hosts of a network plug into. */
  switchNamespace: (id: string) => `${NAME_PREFIX}${id}`,
  nodeNamespace: (id: string, node: string) => `${NAME_PREFIX}${id}-${node}`,
  bridge: (id: string) => `${NAME_PREFIX}br-${id}`,
  /** The root namespace's end of the link into the switch (the only interface we add to the root namespace). */
  hostInterface: (id: string) => `${NAME_PREFIX}h-${id}`,
  /** The switch's end of host `index`'s veth pair. */
  switchPort: (index: number) => `${NAME_PREFIX}p${index}`,
  hostSwitchPort: () => `${NAME_PREFIX}ph`,
  /** Each node's end of its veth pair, inside its own namespace. */
  nodeInterface: () => "shk0",
};

/** One node's host: its namespace and its own address on the network. */
export interface HostRecord {
  readonly node: string;
  readonly role: string;
  readonly namespace: string;
  readonly address: string;
  /** The ports the node listens on, by name; partition probes connect to the first. */
  readonly ports: Readonly<Record<string, number>>;
}

/**
 * What a host network consists of, written before the first namespace is created, so that `recoverNetworks`
 * can remove every name it lists after a crash, by exact name.
 */
export interface NetworkRecord {
  readonly v: 1;
  readonly id: string;
  readonly createdAtMillis: number;
  /** A /24 inside 127.0.0.0/8, e.g. "127.203.7.0/24". */
  readonly subnet: string;
  readonly switchNamespace: string;
  readonly bridge: string;
  /** Null when the network was created without a link from the root namespace. */
  readonly hostInterface: string | null;
  readonly hostAddress: string | null;
  readonly hosts: readonly HostRecord[];
}

/** Where state files live unless told otherwise: SHAKEDOWN_STATE_DIR, else `.data/state` (git-ignored). */
export function defaultStateDir(): string {
  return process.env.SHAKEDOWN_STATE_DIR ?? join(projectRoot, ".data", "state");
}

const networksDir = (stateDir: string) => join(stateDir, "netns");
const recordPath = (stateDir: string, id: string) =>
  join(networksDir(stateDir), `${checkNetworkId(id)}.json`);

/** Writes the record atomically (temp file, then rename), so a crash never leaves half a record. */
export function writeNetworkRecord(stateDir: string, record: NetworkRecord): void {
  mkdirSync(networksDir(stateDir), { recursive: true });
  const path = recordPath(stateDir, record.id);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temp, path);
}

export function removeNetworkRecord(stateDir: string, id: string): void {
  rmSync(recordPath(stateDir, id), { force: true });
}

function isRecord(value: unknown): value is NetworkRecord {
  const record = value as Partial<NetworkRecord> | null;
  return (
    typeof record === "object" &&
    record !== null &&
    record.v === 1 &&
    typeof record.id === "string" &&
    ID_PATTERN.test(record.id) &&
    Array.isArray(record.hosts)
  );
}

/** Every network a state folder records, oldest first; files that are not records are skipped. */
export function readNetworkRecords(stateDir: string): NetworkRecord[] {
  let files: string[];
  try {
    files = readdirSync(networksDir(stateDir)).filter((file) => file.endsWith(".json"));
  } catch {
    return [];
  }
  const records: NetworkRecord[] = [];
  for (const file of files) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(join(networksDir(stateDir), file), "utf8"));
      if (isRecord(parsed) && `${parsed.id}.json` === file) records.push(parsed);
    } catch {
      // Unreadable: it cannot tell us any name to remove.
    }
  }
  return records.sort((a, b) => a.createdAtMillis - b.createdAtMillis);
}

/** Every name a record says we created, for exact-name removal: namespaces and the root-side interface. */
export function ownedNames(record: NetworkRecord): { namespaces: string[]; interfaces: string[] } {
  return {
    namespaces: [...record.hosts.map((host) => host.namespace), record.switchNamespace],
    interfaces: record.hostInterface === null ? [] : [record.hostInterface],
  };
}
