import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type {
  FaultUnit,
  HealsUnconfirmed,
  Injection,
  JsonObject,
  Target,
  Verification,
} from "../../experiment/fault-unit.js";
import { ipTool, mustRun } from "../../netns/command.js";
import { isNetnsError } from "../../netns/errors.js";
import { HostNetwork, listNamespaces, netnsUnavailableReason } from "../../netns/network.js";
import { type HostRecord, readNetworkRecords, TABLE_PREFIX } from "../../netns/state.js";
import { NetworkTargetError, NetworkUnavailableError } from "./errors.js";
import { type NetworkFaultOptions, stateDirOf } from "./link-fault.js";
import { applyTable, deleteTable, droppedPackets, listTables } from "./nftables.js";

const FAULT = "ack_loss";
const DEFAULT_HOLD_MILLIS = 500;

const configSchema = {
  type: "object",
  additionalProperties: false,
  required: ["server"],
  properties: {
    /** The node whose answers are lost (the Kafka broker). */
    server: { type: "string", minLength: 1 },
    /** The server's port; default its first declared one (Kafka's broker port). */
    port: { type: "integer", minimum: 1, maximum: 65_535 },
    /** How long the server's answers are dropped before the clients' connections are aborted. */
    holdMillis: { type: "integer", minimum: 50, maximum: 10_000 },
  },
};

/** The clients that lose the answers: `nodes` or `role`; `network` picks among several recorded networks. */
const targetSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    nodes: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
    role: { type: "string", minLength: 1 },
    network: { type: "string", minLength: 1 },
  },
};

/** Every packet from the server's port, dropped on its way into a client's namespace. */
function answersDropTable(table: string, address: string, port: number): string {
  return [
    `table inet ${table} {`,
    "  chain input {",
    "    type filter hook input priority filter; policy accept;",
    `    ip saddr ${address} tcp sport ${port} counter drop`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * Aborts the namespace's TCP connections to `address:port` (`ss -K`, the kernel's SOCK_DESTROY): the
 * process sees ECONNABORTED, as when a connection dies. Returns how many were aborted.
 */
async function abortConnections(namespace: string, address: string, port: number): Promise<number> {
  const output = await mustRun(ipTool(), [
    ...["netns", "exec", namespace, "ss", "-K", "-t", "-n", "-H", "state", "established"],
    ...["dst", address, "dport", "=", String(port)],
  ]);
  return output.split("\n").filter((line) => line.trim() !== "").length;
}

async function openNetwork(target: Target, stateDir: string): Promise<HostNetwork> {
  const unavailable =
    (await netnsUnavailableReason()) ??
    (readNetworkRecords(stateDir).length === 0 ? `no host network is recorded in ${stateDir}` : null);
  if (unavailable !== null) throw new NetworkUnavailableError(FAULT, unavailable);
  try {
    return HostNetwork.open(stateDir, target.network as string | undefined);
  } catch (error) {
    if (isNetnsError(error)) throw new NetworkTargetError(FAULT, error.message);
    throw error;
  }
}

function clients(target: Target, network: HostNetwork, server: string): HostRecord[] {
  const all = network.record.hosts;
  const nodes = target.nodes as string[] | undefined;
  const role = target.role as string | undefined;
  const picked =
    nodes !== undefined
      ? nodes.map((node) => {
          const host = all.find((h) => h.node === node);
          if (host === undefined)
            throw new NetworkTargetError(FAULT, `no node ${node} in network ${network.id}`);
          return host;
        })
      : all.filter((host) => host.role === role);
  if (nodes === undefined && role === undefined)
    throw new NetworkTargetError(FAULT, "name the clients: nodes or role");
  if (picked.length === 0) throw new NetworkTargetError(FAULT, `no node has role ${role}`);
  if (picked.some((host) => host.node === server))
    throw new NetworkTargetError(FAULT, `${server} cannot lose its own answers`);
  return picked;
}

interface ClientLoss {
  readonly node: string;
  readonly namespace: string;
  readonly droppedPackets: number;
  readonly abortedConnections: number;
}

/**
 * Loses a server's answers to its clients, the way a producer loses the broker's acknowledgement of a batch
 * the broker has written: for `holdMillis` nftables in each client's namespace drops every packet from the
 * server's port, so a request sent then reaches the server and is processed, but its answer never arrives;
 * then the clients' connections to it are aborted (`ss -K`) and the rule removed. The client sees its
 * connection die with the request unanswered, and retries it on a new connection. Its own request timeout
 * would do the same, but the Kafka client does not retry a timed-out request; it does retry one whose
 * connection failed. Verified by the drop counters (an answer was in flight) and the aborted connections.
 */
export function ackLossFault(options: NetworkFaultOptions = {}): FaultUnit & HealsUnconfirmed {
  return {
    name: FAULT,
    description:
      "Drops a server's answers to the target clients for a moment, then aborts their connections to it, so they retry requests the server already processed.",
    configSchema,
    targetSchema,

    async inject(target: Target, config: JsonObject, signal: AbortSignal): Promise<Injection> {
      signal.throwIfAborted();
      const network = await openNetwork(target, stateDirOf(options));
      const serverName = config.server as string;
      const server = network.record.hosts.find((host) => host.node === serverName);
      if (server === undefined)
        throw new NetworkTargetError(FAULT, `no node ${serverName} in network ${network.id}`);
      const port = (config.port as number | undefined) ?? Object.values(server.ports)[0];
      if (port === undefined)
        throw new NetworkTargetError(FAULT, `${serverName} declares no port: give config.port`);
      const holdMillis = (config.holdMillis as number | undefined) ?? DEFAULT_HOLD_MILLIS;
      const hosts = clients(target, network, serverName);
      const table = `${TABLE_PREFIX}${network.id}_ack${randomBytes(3).toString("hex")}`;
      const script = answersDropTable(table, server.address, port);
      const loaded: string[] = [];
      try {
        for (const host of hosts) {
          await applyTable(host.namespace, script);
          loaded.push(host.namespace);
        }
        await sleep(holdMillis, undefined, { signal });
        // Aborted while the answers are still dropped: lifting the rule first would let TCP deliver them.
        const losses: ClientLoss[] = [];
        for (const host of hosts) {
          losses.push({
            node: host.node,
            namespace: host.namespace,
            droppedPackets: (await droppedPackets(host.namespace, table)) ?? 0,
            abortedConnections: await abortConnections(host.namespace, server.address, port),
          });
        }
        return {
          fault: FAULT,
          network: network.id,
          table,
          namespaces: loaded,
          server: serverName,
          address: server.address,
          port,
          holdMillis,
          losses: losses as unknown as JsonObject[],
        };
      } finally {
        for (const namespace of loaded) await deleteTable(namespace, table);
      }
    },

    async verify(injection: Injection): Promise<Verification> {
      const losses = injection.losses as unknown as ClientLoss[];
      const lost = losses.filter((loss) => loss.droppedPackets > 0 && loss.abortedConnections > 0);
      const evidence = losses
        .map(
          (loss) =>
            `${loss.node}: ${loss.droppedPackets} packets from ${injection.server as string}:${injection.port as number} dropped over ${injection.holdMillis as number} ms, ${loss.abortedConnections} connections aborted`,
        )
        .join("; ");
      return {
        tookEffect: lost.length > 0,
        evidence: lost.length > 0 ? evidence : `no client had an answer in flight: ${evidence}`,
      };
    },

    /** Inject already removed its rules; this removes them again should one be left (safe to repeat). */
    async heal(injection: Injection): Promise<void> {
      const table = injection.table as string;
      await Promise.all((injection.namespaces as string[]).map((namespace) => deleteTable(namespace, table)));
    },

    /** Deletes this network's ack-loss tables (`shk_<network>_ack*`, only ever created by this unit). */
    async healUnconfirmed(target: Target): Promise<void> {
      const network = await openNetwork(target, stateDirOf(options));
      const existing = new Set(await listNamespaces());
      for (const host of network.record.hosts.filter((h) => existing.has(h.namespace))) {
        for (const table of await listTables(host.namespace)) {
          if (table.startsWith(`${TABLE_PREFIX}${network.id}_ack`)) await deleteTable(host.namespace, table);
        }
      }
    },
  };
}
