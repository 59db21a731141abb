import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mustRun, nftTool } from "../../../chaos/netns/command.js";
import { HostNetwork, listNamespaces } from "../../../chaos/netns/network.js";
import type { NodeSpec } from "../../../chaos/supervisor/node-spec.js";
import { httpProbe } from "../../../chaos/supervisor/probes.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";

/** Every node listens on the same port: each has an address of its own. */
export const NODE_PORT = 7000;

/** A tiny HTTP server that answers its own name, for a node's process inside its namespace. */
export function httpServerNode(network: HostNetwork, node: string): NodeSpec {
  const host = network.host(node);
  const script = `
    const http = require("node:http");
    const [address, port, name] = process.argv.slice(1);
    http.createServer((q, r) => r.end(name)).listen(Number(port), address, () => console.log("listening"));
    process.on("SIGTERM", () => process.exit(0));
  `;
  return {
    name: node,
    role: host.role,
    command: process.execPath,
    args: ["-e", script, host.address, String(NODE_PORT), node],
    netns: host.namespace,
    ports: { http: NODE_PORT },
    health: httpProbe(`http://${host.address}:${NODE_PORT}/`),
    startTimeoutMillis: 10_000,
  };
}

export interface TestHosts {
  readonly network: HostNetwork;
  readonly supervisor: Supervisor;
  readonly stateDir: string;
  stop(): Promise<void>;
}

/** A host network of `nodes`, each running an HTTP server inside its namespace. */
export async function startHosts(nodes: readonly string[], id: string): Promise<TestHosts> {
  const stateDir = mkdtempSync(join(tmpdir(), "shakedown-netns-"));
  const network = await HostNetwork.create(
    nodes.map((node) => ({ node, role: node.replace(/-?\d+$/, ""), ports: { http: NODE_PORT } })),
    { stateDir, id },
  );
  const supervisor = new Supervisor();
  try {
    await supervisor.start(nodes.map((node) => httpServerNode(network, node)));
  } catch (error) {
    await network.teardown();
    throw error;
  }
  return {
    network,
    supervisor,
    stateDir,
    stop: async () => {
      await supervisor.stopAll();
      await network.teardown();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * What is left in the root namespace of ours: namespaces, interfaces (veths, bridges) and nftables tables
 * whose names carry one of `ids` (another engine's networks on the same machine are not ours to judge).
 */
export async function leftovers(ids: readonly string[]): Promise<string[]> {
  const ours = (name: string) => name.startsWith("shk") && ids.some((id) => name.includes(id));
  const links = (await mustRun("ip", ["-o", "link", "show"]))
    .split("\n")
    .map((line) => line.split(":")[1]?.trim().split("@")[0] ?? "");
  const tables = (await mustRun(nftTool(), ["list", "tables"]))
    .split("\n")
    .map((line) => line.trim().split(" ")[2] ?? "");
  return [
    ...(await listNamespaces()).filter(ours).map((name) => `netns ${name}`),
    ...links.filter(ours).map((name) => `link ${name}`),
    ...tables.filter(ours).map((name) => `nft table ${name}`),
  ];
}
