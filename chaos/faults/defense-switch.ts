import type { Target } from "../experiment/fault-unit.js";
import { ID_PATTERN } from "../experiment/schema.js";
import type { NodeStatus } from "../supervisor/node-spec.js";
import {
  type AgentEndpoint,
  adminPort,
  agentEndpoint,
  noAdminPort,
  readControl,
  setSwitch,
} from "./agent-client.js";
import type { FaultContext, FaultFactory } from "./context.js";
import { HealError, TargetError } from "./errors.js";
import { type ProcessRef, processRef, sameProcess } from "./process.js";
import { everyCandidate, optionalNodeTargetSchema, resolveTargets } from "./targets.js";

/** A node whose switch was set, with the value to put back. */
type SwitchRef = ProcessRef & AgentEndpoint & { readonly previous: boolean };

function agentNodes(fault: string, target: Target, context: FaultContext): NodeStatus[] {
  if (target.node !== undefined || target.role !== undefined) {
    return resolveTargets(fault, target, context, noAdminPort);
  }
  return (context.topology?.statuses() ?? []).filter(
    (node) => node.state === "healthy" && adminPort(node) !== null,
  );
}

async function setAndCheck(node: AgentEndpoint, name: string, enabled: boolean): Promise<void> {
  await setSwitch(node, name, enabled);
  const read = (await readControl(node)).switches[name];
  if (read !== enabled) throw new HealError(node.node, `switch ${name} reads ${read}, not ${enabled}`);
}

/**
 * Turns one of the shop's defenses off (or on) in running processes, through their agents: a fault in the
 * defense itself, timed like any other. Without a target it acts on every node that has the switch; a
 * switch no node has is a wrong target. Verified by reading the switch back; healed by restoring it.
 */
export const defenseSwitch: FaultFactory = (context: FaultContext) => ({
  name: "defense_switch",
  description: "Sets a defense switch in the target nodes' agents; heal restores the previous value.",
  targetSchema: optionalNodeTargetSchema,
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["switch"],
    properties: { switch: { type: "string", pattern: ID_PATTERN }, enabled: { type: "boolean" } },
  },
  async inject(target, config) {
    const name = config.switch as string;
    const enabled = (config.enabled as boolean | undefined) ?? false;
    const explicit = target.node !== undefined || target.role !== undefined;
    const nodes: SwitchRef[] = [];
    const seen = new Set<string>();
    try {
      for (const status of agentNodes("defense_switch", target, context)) {
        const endpoint = agentEndpoint(status) as AgentEndpoint;
        const { switches } = await readControl(endpoint);
        for (const known of Object.keys(switches)) seen.add(known);
        const previous = switches[name];
        if (previous === undefined) {
          if (explicit) throw new TargetError(target, `node ${status.name} has no switch named ${name}`);
          continue;
        }
        await setSwitch(endpoint, name, enabled);
        nodes.push({ ...processRef(status), ...endpoint, previous });
      }
      if (nodes.length === 0) {
        throw new TargetError(
          target,
          `no running node has a switch named ${name} (switches: ${[...seen].sort().join(", ") || "none"})`,
        );
      }
    } catch (error) {
      await Promise.allSettled(nodes.map((node) => setSwitch(node, name, node.previous)));
      throw error;
    }
    return { switch: name, enabled, nodes };
  },
  async verify(injection) {
    const name = injection.switch as string;
    const nodes = injection.nodes as unknown as SwitchRef[];
    for (const node of nodes) {
      const read = (await readControl(node)).switches[name];
      if (read !== injection.enabled) {
        return { tookEffect: false, evidence: `${node.node} reads switch ${name} as ${read}` };
      }
    }
    const where = nodes.map((node) => node.node).join(", ");
    return { tookEffect: true, evidence: `switch ${name} reads ${injection.enabled} on ${where}` };
  },
  async heal(injection) {
    const name = injection.switch as string;
    for (const node of injection.nodes as unknown as SwitchRef[]) {
      if (sameProcess(node)) await setAndCheck(node, name, node.previous);
    }
  },
  async healUnconfirmed(target, config) {
    // The previous values were never recorded; switches start on, so on is what a fresh process would say.
    const name = config.switch as string;
    for (const status of everyCandidate(target, context)) {
      const endpoint = agentEndpoint(status);
      if (status.state !== "healthy" || endpoint === null) continue;
      if ((await readControl(endpoint)).switches[name] !== undefined) await setAndCheck(endpoint, name, true);
    }
  },
});
