import { randomBytes, randomInt } from "node:crypto";
import type {
  FaultUnit,
  HealsUnconfirmed,
  Injection,
  JsonObject,
  Target,
  Verification,
} from "../../experiment/fault-unit.js";
import { isNetnsError } from "../../netns/errors.js";
import { HostNetwork, listNamespaces, netnsUnavailableReason } from "../../netns/network.js";
import { probeTcpFrom, reachable, type TcpProbeResult } from "../../netns/probe.js";
import { type HostRecord, readNetworkRecords, TABLE_PREFIX } from "../../netns/state.js";
import { blackholeToxics, judgeSilence, silenceMillis } from "./blackhole.js";
import { HealIncompleteError, NetworkTargetError, NetworkUnavailableError } from "./errors.js";
import { type Grudge, grudgeOf, type PartitionSpec, representativePairs, seededRandom } from "./grudge.js";
import {
  type AddedToxic,
  addToxics,
  checkLinksAnswer,
  describeSample,
  type LinkSample,
  missingToxics,
  type NetworkFaultOptions,
  removeOwnToxics,
  removeToxics,
  resolveLinks,
  sample,
  stateDirOf,
} from "./link-fault.js";
import { answered } from "./link-probe.js";
import { applyTable, deleteTable, droppedPackets, listTables, partitionTable } from "./nftables.js";
import { ToxiproxyClient } from "./toxiproxy.js";

const FAULT = "partition";
const DEFAULT_BLOCKED_PROBE_MILLIS = 100;
/** An open path answers in well under a millisecond; this only bounds a probe on a starved machine. */
const OPEN_PROBE_MILLIS = 2_000;
const HEAL_ATTEMPTS = 3;
const BASELINE_WAIT_MILLIS = 2_000;

const nodeList = { type: "array", items: { type: "string", minLength: 1 } };

const configSchema = {
  type: "object",
  additionalProperties: false,
  required: ["kind"],
  properties: {
    kind: { type: "string", enum: ["isolate", "halves", "bridge", "one-way", "groups"] },
    node: { type: "string", minLength: 1 },
    groups: { type: "array", items: nodeList },
    from: nodeList,
    to: nodeList,
    seed: { type: "integer", minimum: 0, maximum: 4_294_967_295 },
    probeTimeoutMillis: { type: "integer", minimum: 20, maximum: 60_000 },
  },
};

/** The nodes taking part (default: every node of the network); `network`/`server` pick among several. */
const targetSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    nodes: nodeList,
    role: { type: "string", minLength: 1 },
    network: { type: "string", minLength: 1 },
    server: { type: "string", minLength: 1 },
  },
};

interface PartitionPlan {
  readonly spec: PartitionSpec;
  readonly seed: number;
  readonly probeTimeoutMillis: number;
}

function plan(config: JsonObject, random: (() => number) | undefined): PartitionPlan {
  return {
    spec: {
      kind: config.kind as PartitionSpec["kind"],
      ...(config.node === undefined ? {} : { node: config.node as string }),
      ...(config.groups === undefined ? {} : { groups: config.groups as string[][] }),
      ...(config.from === undefined ? {} : { from: config.from as string[] }),
      ...(config.to === undefined ? {} : { to: config.to as string[] }),
    },
    // Drawn when not given and recorded in the injection, so the same split can be asked for again.
    seed:
      (config.seed as number | undefined) ??
      (random === undefined ? randomInt(2 ** 32) : Math.floor(random() * 2 ** 32)),
    probeTimeoutMillis: (config.probeTimeoutMillis as number | undefined) ?? DEFAULT_BLOCKED_PROBE_MILLIS,
  };
}

/** Picks the participating nodes from a list by the target's `nodes` or `role`. */
function participants<T extends { node: string; role: string }>(target: Target, all: readonly T[]): T[] {
  const nodes = target.nodes as string[] | undefined;
  if (nodes !== undefined) {
    const unknown = nodes.filter((node) => !all.some((item) => item.node === node));
    if (unknown.length > 0) {
      throw new NetworkTargetError(
        FAULT,
        `unknown nodes ${unknown.join(", ")} (known: ${all.map((i) => i.node).join(", ")})`,
      );
    }
    return all.filter((item) => nodes.includes(item.node));
  }
  const role = target.role as string | undefined;
  if (role === undefined) return [...all];
  const picked = all.filter((item) => item.role === role);
  if (picked.length === 0) throw new NetworkTargetError(FAULT, `no node has role ${role}`);
  return picked;
}

// ------------------------------------------------------------------------------------------------------
// Network namespaces and nftables
// ------------------------------------------------------------------------------------------------------

interface ProbeHost {
  readonly node: string;
  readonly namespace: string;
  readonly address: string;
  readonly port: number;
}

function probeHost(host: HostRecord): ProbeHost {
  // A refusal proves the path as well as an accept, so a node without declared ports is probed on port 1.
  const port = Object.values(host.ports)[0] ?? 1;
  return { node: host.node, namespace: host.namespace, address: host.address, port };
}

/**
 * Which end of a two-way cut holds its rule. Dropping every packet to and from the peer in one namespace
 * cuts both directions, so only the smaller group's nodes need a table: isolating one node of fifteen loads
 * one table, not fifteen (inject is then one `nft -f`, whatever the size of the network).
 */
function twoWayHolder(grudge: Grudge): (node: string, peer: string) => boolean {
  const groupOf = (node: string) => grudge.groups.findIndex((group) => group.includes(node));
  const rank = (node: string) => {
    const index = groupOf(node);
    return [index === -1 ? Number.POSITIVE_INFINITY : (grudge.groups[index]?.length ?? 0), index] as const;
  };
  return (node, peer) => {
    const [size, index] = rank(node);
    const [peerSize, peerIndex] = rank(peer);
    if (size !== peerSize) return size < peerSize;
    if (index !== peerIndex) return index < peerIndex;
    return node < peer;
  };
}

async function injectNetns(
  network: HostNetwork,
  target: Target,
  partition: PartitionPlan,
): Promise<Injection> {
  const hosts = participants(target, network.record.hosts);
  const grudge = grudgeOf(
    partition.spec,
    hosts.map((host) => host.node),
    seededRandom(partition.seed),
  );
  const table = `${TABLE_PREFIX}${network.id}_${randomBytes(3).toString("hex")}`;
  const address = new Map(hosts.map((host) => [host.node, host.address]));
  const holds = twoWayHolder(grudge);
  const tables = hosts.flatMap((host) => {
    const cannot = grudge.blocked
      .filter(([source]) => source === host.node)
      .map(([, destination]) => destination);
    const both = cannot.filter((peer) => grudge.blocked.some(([s, d]) => s === peer && d === host.node));
    const rules = {
      cutBoth: both.filter((peer) => holds(host.node, peer)).map((peer) => address.get(peer) as string),
      cannotReach: cannot.filter((peer) => !both.includes(peer)).map((peer) => address.get(peer) as string),
    };
    return rules.cutBoth.length + rules.cannotReach.length === 0
      ? []
      : [{ namespace: host.namespace, script: partitionTable(table, rules) }];
  });
  const applied = tables.map((t) => t.namespace);
  // All namespaces at once (each load is one nft transaction); if any fails, every one is undone.
  const loads = await Promise.allSettled(tables.map((t) => applyTable(t.namespace, t.script)));
  const failed = loads.find((load): load is PromiseRejectedResult => load.status === "rejected");
  if (failed !== undefined) {
    for (const namespace of applied) await deleteTable(namespace, table);
    throw failed.reason;
  }
  return {
    fault: FAULT,
    method: "nftables",
    network: network.id,
    table,
    namespaces: applied,
    kind: partition.spec.kind,
    seed: partition.seed,
    probeTimeoutMillis: partition.probeTimeoutMillis,
    groups: grudge.groups.map((group) => [...group]),
    blocked: grudge.blocked.map((pair) => [...pair]),
    hosts: hosts.map((host) => ({ ...probeHost(host) })),
  };
}

interface PairProbe {
  readonly source: ProbeHost;
  readonly destination: ProbeHost;
  readonly result: TcpProbeResult;
}

/** Connects from each pair's source host to its destination, one process per source, all at once. */
async function probePairs(
  hosts: readonly ProbeHost[],
  pairs: readonly (readonly [string, string, number])[],
): Promise<PairProbe[]> {
  const byNode = new Map(hosts.map((host) => [host.node, host]));
  const bySource = new Map<string, { destination: ProbeHost; timeoutMillis: number }[]>();
  for (const [source, destination, timeoutMillis] of pairs) {
    const list = bySource.get(source) ?? [];
    list.push({ destination: byNode.get(destination) as ProbeHost, timeoutMillis });
    bySource.set(source, list);
  }
  const probed = await Promise.all(
    [...bySource].map(async ([source, targets]) => {
      const from = byNode.get(source) as ProbeHost;
      const results = await probeTcpFrom(
        from.namespace,
        targets.map((t) => ({
          host: t.destination.address,
          port: t.destination.port,
          timeoutMillis: t.timeoutMillis,
        })),
      );
      return results.map((result, index) => ({
        source: from,
        destination: (targets[index] as { destination: ProbeHost }).destination,
        result,
      }));
    }),
  );
  return probed.flat();
}

const describeProbe = (probe: PairProbe) =>
  `${probe.source.node}->${probe.destination.node}:${probe.destination.port} ${probe.result.outcome}` +
  `${probe.result.outcome === "timeout" ? "" : ` in ${probe.result.millis} ms`}`;

async function verifyNetns(injection: Injection): Promise<Verification> {
  const hosts = injection.hosts as unknown as ProbeHost[];
  const table = injection.table as string;
  const grudge: Grudge = {
    groups: injection.groups as string[][],
    blocked: injection.blocked as [string, string][],
  };
  const { blocked, open } = representativePairs(
    grudge,
    hosts.map((host) => host.node),
  );
  // A cut pair's packets are dropped by the table in the source's namespace or in the destination's,
  // whichever holds the rule: read the counters of both ends that have one.
  const withTable = new Set(injection.namespaces as string[]);
  const namespaceOf = (node: string) => (hosts.find((host) => host.node === node) as ProbeHost).namespace;
  const ends = (pair: readonly [string, string]) => pair.map(namespaceOf).filter((ns) => withTable.has(ns));
  const counted = [...new Set(blocked.flatMap(ends))];
  const counters = () => Promise.all(counted.map((namespace) => droppedPackets(namespace, table)));
  const countersBefore = await counters();
  const probes = await probePairs(hosts, [
    ...blocked.map(([s, d]) => [s, d, injection.probeTimeoutMillis as number] as const),
    ...open.map(([s, d]) => [s, d, OPEN_PROBE_MILLIS] as const),
  ]);
  const countersAfter = await counters();
  const droppedIn = new Map(
    counted.map((namespace, i) => [namespace, (countersAfter[i] ?? 0) - (countersBefore[i] ?? 0)]),
  );

  const problems: string[] = [];
  const facts: string[] = [];
  for (const probe of probes) {
    const isBlocked = blocked.some(([s, d]) => s === probe.source.node && d === probe.destination.node);
    if (isBlocked) {
      const where = ends([probe.source.node, probe.destination.node]);
      const count = where.reduce((sum, namespace) => sum + (droppedIn.get(namespace) ?? 0), 0);
      const fact = `${describeProbe(probe)} (${count} packets dropped by ${table} in ${where.join(" + ") || "no namespace"})`;
      if (reachable(probe.result.outcome) || count === 0) problems.push(`expected cut: ${fact}`);
      else facts.push(fact);
    } else if (reachable(probe.result.outcome)) {
      facts.push(`${describeProbe(probe)} (open)`);
    } else {
      problems.push(`expected open: ${describeProbe(probe)}`);
    }
  }
  return {
    tookEffect: problems.length === 0 && blocked.length > 0,
    evidence: [...problems, ...facts].join("; ") || "no pair to probe",
  };
}

async function healNetns(injection: Injection): Promise<void> {
  const table = injection.table as string;
  await Promise.all((injection.namespaces as string[]).map((namespace) => deleteTable(namespace, table)));
  const hosts = injection.hosts as unknown as ProbeHost[];
  const existing = new Set(await listNamespaces());
  if (!hosts.every((host) => existing.has(host.namespace))) return;
  const grudge: Grudge = {
    groups: injection.groups as string[][],
    blocked: injection.blocked as [string, string][],
  };
  const { blocked } = representativePairs(
    grudge,
    hosts.map((host) => host.node),
  );
  let failing: PairProbe[] = [];
  for (let attempt = 0; attempt < HEAL_ATTEMPTS; attempt++) {
    const probes = await probePairs(
      hosts,
      blocked.map(([s, d]) => [s, d, OPEN_PROBE_MILLIS] as const),
    );
    failing = probes.filter((probe) => !reachable(probe.result.outcome));
    if (failing.length === 0) return;
  }
  throw new HealIncompleteError(FAULT, failing.map(describeProbe).join("; "));
}

// ------------------------------------------------------------------------------------------------------
// Toxiproxy fallback: blackhole every proxied link from a node to a node it may not reach
// ------------------------------------------------------------------------------------------------------

interface FallbackLink {
  readonly proxy: string;
  readonly from: string;
  readonly to: string;
  readonly listen: string;
  readonly before: LinkSample;
}

async function injectToxiproxy(
  target: Target,
  partition: PartitionPlan,
  stateDir: string,
  reason: string,
): Promise<Injection> {
  const resolved = resolveLinks(
    FAULT,
    target.server === undefined ? {} : { server: target.server },
    stateDir,
  );
  const nodes = [...new Set(resolved.links.flatMap((link) => [link.from, link.to]))];
  const picked = participants(
    target,
    nodes.map((node) => ({ node, role: node })),
  ).map((item) => item.node);
  const grudge = grudgeOf(partition.spec, picked, seededRandom(partition.seed));
  const inPartition = resolved.links.filter((link) => picked.includes(link.from) && picked.includes(link.to));
  const isBlocked = (link: { from: string; to: string }) =>
    grudge.blocked.some(([s, d]) => s === link.from && d === link.to);
  const cut = inPartition.filter(isBlocked);
  if (cut.length === 0) {
    throw new NetworkTargetError(
      FAULT,
      `no Toxiproxy link crosses the partition ${JSON.stringify(grudge.groups)}`,
    );
  }
  const measure = (links: typeof inPartition) =>
    Promise.all(
      links.map(async (link) => ({
        proxy: link.proxy,
        from: link.from,
        to: link.to,
        listen: link.listen,
        before: await sample(link.listen, 1, BASELINE_WAIT_MILLIS),
      })),
    );
  const cutLinks = await measure(cut);
  const openLinks = await measure(inPartition.filter((link) => !isBlocked(link)));
  const toxics = await addToxics(
    new ToxiproxyClient(resolved.apiUrl),
    FAULT,
    cut.map((link) => link.proxy),
    blackholeToxics("both"),
  );
  return {
    fault: FAULT,
    method: "toxiproxy",
    fallbackReason: reason,
    apiUrl: resolved.apiUrl,
    server: resolved.server,
    kind: partition.spec.kind,
    seed: partition.seed,
    groups: grudge.groups.map((group) => [...group]),
    blocked: grudge.blocked.map((pair) => [...pair]),
    links: cutLinks as unknown as JsonObject[],
    openLinks: openLinks as unknown as JsonObject[],
    toxics: toxics as unknown as JsonObject[],
  };
}

async function verifyToxiproxy(injection: Injection): Promise<Verification> {
  const apiUrl = injection.apiUrl as string;
  const missing = await missingToxics(apiUrl, injection.toxics as unknown as AddedToxic[]);
  if (missing.length > 0) {
    return {
      tookEffect: false,
      evidence: `toxics not listed: ${missing.map((t) => `${t.proxy}/${t.name}`).join(", ")}`,
    };
  }
  const cut = injection.links as unknown as FallbackLink[];
  const open = injection.openLinks as unknown as FallbackLink[];
  const [cutResults, openResults] = await Promise.all([
    Promise.all(
      cut.map(async (link) => ({ link, during: await sample(link.listen, 1, silenceMillis(link.before)) })),
    ),
    Promise.all(
      open.map(async (link) => ({ link, during: await sample(link.listen, 1, BASELINE_WAIT_MILLIS) })),
    ),
  ]);
  const lines: string[] = [`Toxiproxy fallback (${injection.fallbackReason as string})`];
  let ok = true;
  for (const { link, during } of cutResults) {
    const verdict = judgeSilence(link.before, during);
    ok &&= verdict.tookEffect;
    lines.push(`${link.from}->${link.to} cut: ${verdict.evidence}`);
  }
  for (const { link, during } of openResults) {
    const stillOpen = answered(during.outcome) || !answered(link.before.outcome);
    ok &&= stillOpen;
    lines.push(`${link.from}->${link.to} ${stillOpen ? "open" : "expected open"}: ${describeSample(during)}`);
  }
  return { tookEffect: ok, evidence: lines.join("; ") };
}

async function healToxiproxy(injection: Injection): Promise<void> {
  if (!(await removeToxics(injection.apiUrl as string, injection.toxics as unknown as AddedToxic[]))) return;
  await checkLinksAnswer(FAULT, injection.links as unknown as FallbackLink[]);
}

// ------------------------------------------------------------------------------------------------------

/**
 * The host network the target names, or why there is none, in which case the Toxiproxy fallback is used. A
 * target naming a network that is not recorded, or several recorded networks and no name, is a target error.
 */
async function findNetwork(target: Target, stateDir: string): Promise<HostNetwork | string> {
  if (readNetworkRecords(stateDir).length === 0) {
    return (await netnsUnavailableReason()) ?? `no host network is recorded in ${stateDir}`;
  }
  const unavailable = await netnsUnavailableReason();
  if (unavailable !== null) return unavailable;
  try {
    return HostNetwork.open(stateDir, target.network as string | undefined);
  } catch (error) {
    if (isNetnsError(error)) throw new NetworkTargetError(FAULT, error.message);
    throw error;
  }
}

/**
 * Partitions nodes into groups that cannot reach each other: isolate one node, halves (majority/minority),
 * bridge (two sides that both reach a middle node but not each other), one-way, or explicit groups. With a
 * host network (a namespace per node) it drops packets with nftables tables inside the nodes' namespaces;
 * without one it falls back to blackholing the Toxiproxy links between the groups, and the injection says so.
 */
export function partitionFault(options: NetworkFaultOptions = {}): FaultUnit & HealsUnconfirmed {
  return {
    name: FAULT,
    description: "Splits nodes into groups that cannot reach each other (isolate, halves, bridge, one-way).",
    configSchema,
    targetSchema,

    async inject(target: Target, config: JsonObject, signal: AbortSignal): Promise<Injection> {
      signal.throwIfAborted();
      const stateDir = stateDirOf(options);
      const partition = plan(config, options.random);
      const network = await findNetwork(target, stateDir);
      if (network instanceof HostNetwork) return injectNetns(network, target, partition);
      try {
        return await injectToxiproxy(target, partition, stateDir, network);
      } catch (error) {
        if (error instanceof NetworkTargetError && /no Toxiproxy link matches/.test(error.message)) {
          throw new NetworkUnavailableError(FAULT, `no host network (${network}) and no Toxiproxy links`);
        }
        throw error;
      }
    },

    verify: (injection) =>
      injection.method === "nftables" ? verifyNetns(injection) : verifyToxiproxy(injection),

    heal: (injection) => (injection.method === "nftables" ? healNetns(injection) : healToxiproxy(injection)),

    /** Deletes this network's partition tables (`shk_<network>_*`, only ever created by this unit) and toxics. */
    async healUnconfirmed(target: Target): Promise<void> {
      const stateDir = stateDirOf(options);
      const network = await findNetwork(target, stateDir);
      if (network instanceof HostNetwork) {
        const existing = new Set(await listNamespaces());
        for (const host of network.record.hosts.filter((h) => existing.has(h.namespace))) {
          for (const table of await listTables(host.namespace)) {
            if (table.startsWith(`${TABLE_PREFIX}${network.id}_`)) await deleteTable(host.namespace, table);
          }
        }
      }
      await removeOwnToxics(FAULT, target.server === undefined ? {} : { server: target.server }, stateDir);
    },
  };
}
