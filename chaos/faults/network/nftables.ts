import { ipTool, mustRun, nftTool, runCommand } from "../../netns/command.js";
import { listNamespaces } from "../../netns/network.js";

/** What one host must drop: addresses cut both ways, and addresses it may not reach but that may reach it. */
export interface HostRules {
  readonly cutBoth: readonly string[];
  readonly cannotReach: readonly string[];
}

const set = (addresses: readonly string[]) => `{ ${addresses.join(", ")} }`;

/**
 * An nftables table for one host's namespace. A two-way cut drops every packet to and from the peers. A
 * one-way cut must let the peers' own connections work, and TCP needs both directions for that, so it
 * drops by connection: packets of connections this host opens towards them (ct direction original on the
 * way out, reply on the way in); their connections to us pass.
 */
export function partitionTable(table: string, rules: HostRules): string {
  const output: string[] = [];
  const input: string[] = [];
  if (rules.cutBoth.length > 0) {
    output.push(`ip daddr ${set(rules.cutBoth)} counter drop`);
    input.push(`ip saddr ${set(rules.cutBoth)} counter drop`);
  }
  if (rules.cannotReach.length > 0) {
    output.push(`ip daddr ${set(rules.cannotReach)} ct direction original counter drop`);
    input.push(`ip saddr ${set(rules.cannotReach)} ct direction reply counter drop`);
  }
  const chain = (name: string, lines: string[]) =>
    [
      `  chain ${name} {`,
      `    type filter hook ${name} priority filter; policy accept;`,
      ...lines.map((line) => `    ${line}`),
      "  }",
    ].join("\n");
  return [`table inet ${table} {`, chain("output", output), chain("input", input), "}", ""].join("\n");
}

const inNamespace = (namespace: string, args: readonly string[]) => [
  "netns",
  "exec",
  namespace,
  nftTool(),
  ...args,
];

/** Loads a table into a namespace in one transaction (`nft -f` applies all of it or none). */
export async function applyTable(namespace: string, script: string): Promise<void> {
  await mustRun(ipTool(), inNamespace(namespace, ["-f", "-"]), { input: script });
}

/**
 * Deletes our table by exact name; true if it was there. A namespace that is gone took its tables with it.
 * (nft 1.0.6 has no `destroy`, so absence is checked first.)
 */
export async function deleteTable(namespace: string, table: string): Promise<boolean> {
  if (!(await listNamespaces()).includes(namespace)) return false;
  if (!(await listTables(namespace)).includes(table)) return false;
  await mustRun(ipTool(), inNamespace(namespace, ["delete", "table", "inet", table]));
  return true;
}

/** The inet tables of a namespace, by name. */
export async function listTables(namespace: string): Promise<string[]> {
  const output = await mustRun(ipTool(), inNamespace(namespace, ["list", "tables", "inet"]));
  return output
    .split("\n")
    .map((line) => line.trim().match(/^table inet (\S+)$/)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Packets the table's rules dropped so far (their counters), or null if the table is not there. */
export async function droppedPackets(namespace: string, table: string): Promise<number | null> {
  const result = await runCommand(ipTool(), inNamespace(namespace, ["-j", "list", "table", "inet", table]));
  if (result.exitCode !== 0) return null;
  const parsed = JSON.parse(result.stdout) as {
    nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[];
  };
  let packets = 0;
  for (const item of parsed.nftables) {
    for (const expr of item.rule?.expr ?? []) packets += expr.counter?.packets ?? 0;
  }
  return packets;
}
