import { randomBytes, randomInt } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Socket } from "node:net";
import { findTool, ipTool, mustRun, runCommand } from "./command.js";
import { NetnsInvalidError, NetnsUnavailableError, NetnsUnknownError } from "./errors.js";
import {
  checkNetworkId,
  checkNodeName,
  defaultStateDir,
  type HostRecord,
  type NetworkRecord,
  names,
  ownedNames,
  readNetworkRecords,
  removeNetworkRecord,
  writeNetworkRecord,
} from "./state.js";

/** A node to give a host of its own. */
export interface HostSpec {
  readonly node: string;
  /** For targets by role; defaults to the node name. */
  readonly role?: string;
  readonly ports?: Readonly<Record<string, number>>;
}

export interface CreateNetworkOptions {
  /** Where the network's state file goes (see `defaultStateDir`). */
  readonly stateDir?: string;
  /** 1-8 of [a-z0-9]; random by default. */
  readonly id?: string;
  /**
   * Link the root namespace into the network (default true), so that the engine, health probes and load
   * reach the nodes, and nodes reach services in the root namespace at `hostAddress`.
   */
  readonly hostLink?: boolean;
}

/**
 * Every address is in 127.0.0.0/8: traffic between our namespaces never looks like traffic to a private or
 * public network, and never leaves the machine. Linux treats 127/8 on a non-loopback interface as martian
 * unless `route_localnet` is set, which we set only inside our own namespaces and on our own root-side
 * interface, never machine-wide.
 */
const SUBNET_SECOND_OCTET = 203;
const HOST_LINK_OCTET = 254;
const MAX_HOSTS = 253;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** The command line that runs `command` inside a namespace (`ip netns exec` keeps the PID: it execs). */
export function netnsExec(
  namespace: string,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  return { command: ipTool(), args: ["netns", "exec", namespace, command, ...args] };
}

/** Why network namespaces cannot be used here, or null when they can (`ip netns` answers as root). */
export async function netnsUnavailableReason(): Promise<string | null> {
  if (process.platform !== "linux") return `not Linux (${process.platform})`;
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) return `not running as root (uid ${uid})`;
  const ip = findTool("ip");
  if (ip === null) return "the ip command (iproute2) is not installed";
  const listed = await runCommand(ip, ["netns", "list"]);
  if (listed.exitCode !== 0) return `${ip} netns list failed: ${listed.stderr.trim()}`;
  return null;
}

/** The names of the namespaces `ip netns list` shows (each line is "name" or "name (id: N)"). */
export async function listNamespaces(): Promise<string[]> {
  const output = await mustRun(ipTool(), ["netns", "list"]);
  return output
    .split("\n")
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter((name) => name !== "");
}

export async function interfaceExists(name: string): Promise<boolean> {
  return (await runCommand(ipTool(), ["link", "show", "dev", name])).exitCode === 0;
}

/**
 * Deletes one namespace by exact name, first killing (by PID) whatever still runs inside it: a namespace
 * keeps existing, unnamed, as long as a process holds it. Nothing happens if it is already gone.
 */
export async function deleteNamespace(name: string): Promise<boolean> {
  if (!(await listNamespaces()).includes(name)) return false;
  // Bounded: 40 rounds of 50 ms for SIGKILLed processes to leave.
  for (let round = 0; round < 40; round++) {
    const pids = (await runCommand(ipTool(), ["netns", "pids", name])).stdout
      .split("\n")
      .map((line) => Number.parseInt(line, 10))
      .filter((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(50);
  }
  await mustRun(ipTool(), ["netns", "delete", name]);
  return true;
}

/**
 * Removes everything a record names, by exact name: the root-side interface first (deleting one end of a
 * veth pair deletes both, synchronously), then the node namespaces, then the switch. Returns what it removed.
 */
export async function teardownRecord(record: NetworkRecord): Promise<string[]> {
  const removed: string[] = [];
  const { namespaces, interfaces } = ownedNames(record);
  for (const name of interfaces) {
    if (await interfaceExists(name)) {
      await mustRun(ipTool(), ["link", "delete", "dev", name]);
      removed.push(name);
    }
  }
  for (const name of namespaces) {
    if (await deleteNamespace(name)) removed.push(name);
  }
  return removed;
}

/** Writes a sysctl of our own root-side interface; a missing key (IPv6 disabled at boot) is fine to skip. */
function setInterfaceSysctl(family: "ipv4" | "ipv6", iface: string, key: string, value: string): void {
  try {
    writeFileSync(`/proc/sys/net/${family}/conf/${iface}/${key}`, value);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** A third octet no recorded network and no root-namespace address uses yet. */
async function freeSubnetOctet(stateDir: string): Promise<number> {
  const used = new Set(readNetworkRecords(stateDir).map((record) => Number(record.subnet.split(".")[2])));
  const addresses = await mustRun(ipTool(), ["-4", "-o", "addr", "show"]);
  for (const match of addresses.matchAll(new RegExp(`inet 127\\.${SUBNET_SECOND_OCTET}\\.(\\d+)\\.`, "g"))) {
    used.add(Number(match[1]));
  }
  const free = Array.from({ length: 254 }, (_, i) => i + 1).filter((octet) => !used.has(octet));
  if (free.length === 0) throw new NetnsInvalidError(`every 127.${SUBNET_SECOND_OCTET}.x.0/24 is in use`);
  // Random, so that two engines started at once rarely pick the same one; the route check catches the rest.
  return free[randomInt(free.length)] as number;
}

function planRecord(id: string, octet: number, hosts: readonly HostSpec[], hostLink: boolean): NetworkRecord {
  const base = `127.${SUBNET_SECOND_OCTET}.${octet}`;
  return {
    v: 1,
    id,
    createdAtMillis: Date.now(),
    subnet: `${base}.0/24`,
    switchNamespace: names.switchNamespace(id),
    bridge: names.bridge(id),
    hostInterface: hostLink ? names.hostInterface(id) : null,
    hostAddress: hostLink ? `${base}.${HOST_LINK_OCTET}` : null,
    hosts: hosts.map((host, index) => ({
      node: host.node,
      role: host.role ?? host.node,
      namespace: names.nodeNamespace(id, host.node),
      address: `${base}.${index + 1}`,
      ports: { ...(host.ports ?? {}) },
    })),
  };
}

/** "answered" once a connect to the address is accepted or refused (the path works), else what happened. */
function answers(address: string, timeoutMillis: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (outcome: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMillis} ms`), timeoutMillis);
    socket.once("connect", () => done("answered"));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      done(error.code === "ECONNREFUSED" ? "answered" : (error.code ?? error.message)),
    );
    // Port 1 (tcpmux) is as good as any: a refusal proves the packets went there and back.
    socket.connect(1, address);
  });
}

async function build(record: NetworkRecord): Promise<void> {
  const ip = ipTool();
  const sysctl = findTool("sysctl") ?? "sysctl";
  const sw = record.switchNamespace;
  const prefixLength = "/24";
  // `sysctl -e` skips the IPv6 keys where IPv6 is disabled at boot. IPv6 stays off so that no router
  // solicitations or link-local chatter appear.
  const noIpv6 = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"];
  // route_localnet lets 127/8 addresses cross a node's veth. Never in the switch: there all of 127/8 is
  // local (loopback's /8), so with it the bridge would answer ARP for every node's address.
  const localnet = ["net.ipv4.conf.all.route_localnet=1", "net.ipv4.conf.default.route_localnet=1"];
  const addNamespace = async (name: string, sysctls: readonly string[]) => {
    const added = await runCommand(ip, ["netns", "add", name]);
    if (added.exitCode !== 0) {
      throw new NetnsUnavailableError(`${ip} netns add ${name} failed: ${added.stderr.trim()}`);
    }
    await mustRun(ip, ["netns", "exec", name, sysctl, "-q", "-e", "-w", ...sysctls]);
    await mustRun(ip, ["-n", name, "link", "set", "lo", "up"]);
  };

  await addNamespace(sw, noIpv6);
  await mustRun(ip, ["-n", sw, "link", "add", record.bridge, "type", "bridge"]);
  await mustRun(ip, ["-n", sw, "link", "set", record.bridge, "up"]);
  for (const [index, host] of record.hosts.entries()) {
    const port = names.switchPort(index + 1);
    const nic = names.nodeInterface();
    await addNamespace(host.namespace, [...noIpv6, ...localnet]);
    await mustRun(ip, [
      ...["link", "add", "name", nic, "netns", host.namespace],
      ...["type", "veth", "peer", "name", port, "netns", sw],
    ]);
    await mustRun(ip, ["-n", sw, "link", "set", port, "master", record.bridge, "up"]);
    await mustRun(ip, ["-n", host.namespace, "addr", "add", `${host.address}${prefixLength}`, "dev", nic]);
    await mustRun(ip, ["-n", host.namespace, "link", "set", nic, "up"]);
  }
  if (record.hostInterface !== null && record.hostAddress !== null) {
    const iface = record.hostInterface;
    const port = names.hostSwitchPort();
    await mustRun(ip, ["link", "add", "name", iface, "type", "veth", "peer", "name", port, "netns", sw]);
    setInterfaceSysctl("ipv6", iface, "disable_ipv6", "1");
    setInterfaceSysctl("ipv4", iface, "route_localnet", "1");
    await mustRun(ip, ["addr", "add", `${record.hostAddress}${prefixLength}`, "dev", iface]);
    await mustRun(ip, ["link", "set", iface, "up"]);
    await mustRun(ip, ["-n", sw, "link", "set", port, "master", record.bridge, "up"]);
    await checkHostLink(record, iface);
  }
}

/**
 * The root namespace must route the subnet through our interface: policy routing rules that consult the
 * `local` table alone would send 127/8 to loopback instead. Then one connect proves the path end to end.
 */
async function checkHostLink(record: NetworkRecord, iface: string): Promise<void> {
  const first = record.hosts[0];
  if (first === undefined) return;
  const route = await mustRun(ipTool(), ["-o", "route", "get", first.address]);
  if (!new RegExp(`\\bdev ${iface}\\b`).test(route)) {
    throw new NetnsUnavailableError(
      `the root namespace routes ${first.address} as "${route.trim()}", not through ${iface}`,
    );
  }
  // Bounded: 20 tries of 50 ms while the bridge ports come up.
  let outcome = "";
  for (let attempt = 0; attempt < 20; attempt++) {
    outcome = await answers(first.address, 500);
    if (outcome === "answered") return;
    await sleep(50);
  }
  throw new NetnsUnavailableError(
    `${first.address} (${first.node}) does not answer through ${iface}: ${outcome}`,
  );
}

/**
 * A network of hosts, one network namespace per node ("a machine of its own" with its own address), all
 * plugged into one bridge that lives in a switch namespace of the network. Only names a state file records
 * are ever removed, by exact name; `recoverNetworks` does it after a crash.
 */
export class HostNetwork {
  private constructor(
    readonly record: NetworkRecord,
    readonly stateDir: string,
  ) {}

  /**
   * Creates the namespaces, veth pairs and bridge; the record is written first, and anything created before
   * a failure is removed before the error is thrown.
   */
  static async create(hosts: readonly HostSpec[], options: CreateNetworkOptions = {}): Promise<HostNetwork> {
    const stateDir = options.stateDir ?? defaultStateDir();
    if (hosts.length === 0 || hosts.length > MAX_HOSTS) {
      throw new NetnsInvalidError(`a network holds 1 to ${MAX_HOSTS} hosts, not ${hosts.length}`);
    }
    const seen = new Set<string>();
    for (const host of hosts) {
      if (seen.has(checkNodeName(host.node))) throw new NetnsInvalidError(`two hosts are named ${host.node}`);
      seen.add(host.node);
    }
    const reason = await netnsUnavailableReason();
    if (reason !== null) throw new NetnsUnavailableError(reason);
    const id = checkNetworkId(options.id ?? randomBytes(4).toString("hex").slice(0, 6));
    if (readNetworkRecords(stateDir).some((record) => record.id === id)) {
      throw new NetnsInvalidError(`a network with id ${id} is already recorded in ${stateDir}`);
    }
    const record = planRecord(id, await freeSubnetOctet(stateDir), hosts, options.hostLink ?? true);
    // Everything the record names must be new: a failed build removes them all, and must not take
    // someone else's namespace or interface with it.
    const existing = new Set(await listNamespaces());
    const { namespaces, interfaces } = ownedNames(record);
    const taken = namespaces.filter((name) => existing.has(name));
    for (const name of interfaces) if (await interfaceExists(name)) taken.push(name);
    if (taken.length > 0) throw new NetnsInvalidError(`these names already exist: ${taken.join(", ")}`);
    writeNetworkRecord(stateDir, record);
    try {
      await build(record);
    } catch (error) {
      await teardownRecord(record);
      removeNetworkRecord(stateDir, id);
      throw error;
    }
    return new HostNetwork(record, stateDir);
  }

  /** The network a state folder records under `id`, or its only network when `id` is omitted. */
  static open(stateDir: string = defaultStateDir(), id?: string): HostNetwork {
    const records = readNetworkRecords(stateDir);
    const found =
      id === undefined ? (records.length === 1 ? records[0] : undefined) : records.find((r) => r.id === id);
    if (found === undefined) {
      throw new NetnsUnknownError(
        id === undefined ? `single network in ${stateDir}` : `network ${id} in ${stateDir}`,
        records.map((record) => record.id),
      );
    }
    return new HostNetwork(found, stateDir);
  }

  get id(): string {
    return this.record.id;
  }

  /** The address nodes use to reach services in the root namespace (null without a host link). */
  get hostAddress(): string | null {
    return this.record.hostAddress;
  }

  host(node: string): HostRecord {
    const found = this.record.hosts.find((host) => host.node === node);
    if (found === undefined) {
      throw new NetnsUnknownError(
        `host ${node} in network ${this.id}`,
        this.record.hosts.map((host) => host.node),
      );
    }
    return found;
  }

  /** Removes every namespace and interface of the network and its state file; safe to call twice. */
  async teardown(): Promise<string[]> {
    const removed = await teardownRecord(this.record);
    removeNetworkRecord(this.stateDir, this.id);
    return removed;
  }
}
