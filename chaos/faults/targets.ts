import type { Target } from "../experiment/fault-unit.js";
import type { NodeStatus } from "../supervisor/node-spec.js";
import type { FaultContext } from "./context.js";
import { DetachedError, TargetError } from "./errors.js";

/** How many of a role's running nodes a target takes: every one, one at random, or a random majority. */
export type Pick = "all" | "one" | "majority";

const NAME = { type: "string", minLength: 1 } as const;

/**
 * `{ node: catalog-1 }`, or `{ role: catalog }` with `pick: all` (the default), `one` or `majority`; picks
 * are random and seeded, among the role's running nodes ordered by name.
 */
export const nodeTargetSchema = {
  type: "object",
  additionalProperties: false,
  properties: { node: NAME, role: NAME, pick: { enum: ["all", "one", "majority"] } },
  oneOf: [
    { properties: { node: NAME }, required: ["node"] },
    { properties: { role: NAME }, required: ["role"] },
  ],
  dependencies: { pick: ["role"] },
} as const;

/** The same, or `{}` for every node the unit can act on. */
export const optionalNodeTargetSchema = {
  type: "object",
  additionalProperties: false,
  properties: nodeTargetSchema.properties,
  not: { properties: { node: NAME, role: NAME }, required: ["node", "role"] },
  dependencies: { pick: ["role"] },
} as const;

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/**
 * The running nodes a target names, checked by `usable` (e.g. "has an admin port"). Throws TargetError when
 * it names nothing: a fault aimed at a wrong target must end the run in error, not in a pass.
 */
export function resolveTargets(
  fault: string,
  target: Target,
  context: FaultContext,
  usable: (node: NodeStatus) => string | null = () => null,
): NodeStatus[] {
  if (context.topology === null) throw new DetachedError(fault);
  const nodes = context.topology.statuses();
  const names = nodes.map((node) => node.name).join(", ") || "none";
  const check = (node: NodeStatus): NodeStatus => {
    if (node.state !== "healthy")
      throw new TargetError(target, `node ${node.name} is not running (${node.state})`);
    const problem = usable(node);
    if (problem !== null) throw new TargetError(target, `node ${node.name} ${problem}`);
    return node;
  };
  if (typeof target.node === "string") {
    const node = nodes.find((candidate) => candidate.name === target.node);
    if (node === undefined) throw new TargetError(target, `no node named ${target.node} (nodes: ${names})`);
    return [check(node)];
  }
  if (typeof target.role === "string") {
    const ofRole = nodes.filter((node) => node.role === target.role);
    if (ofRole.length === 0) {
      const roles = [...new Set(nodes.map((node) => node.role))].join(", ") || "none";
      throw new TargetError(target, `no node has role ${target.role} (roles: ${roles})`);
    }
    const running = ofRole
      .filter((node) => node.state === "healthy")
      .sort((a, b) => a.name.localeCompare(b.name));
    if (running.length === 0) throw new TargetError(target, `no node of role ${target.role} is running`);
    running.forEach(check);
    const pick = (target.pick ?? "all") as Pick;
    const count =
      pick === "one" ? 1 : pick === "majority" ? Math.floor(running.length / 2) + 1 : running.length;
    return pick === "all" ? running : shuffled(running, context.random).slice(0, count);
  }
  throw new TargetError(target, "needs node or role");
}

/**
 * Every node a target could have meant, whatever its pick and state: what a heal must sweep when the engine
 * died inside inject and the pick was never recorded. Empty without a topology or on a wrong target.
 */
export function everyCandidate(target: Target, context: FaultContext): NodeStatus[] {
  if (context.topology === null) return [];
  const nodes = context.topology.statuses();
  if (typeof target.node === "string") return nodes.filter((node) => node.name === target.node);
  if (typeof target.role === "string") return nodes.filter((node) => node.role === target.role);
  return nodes;
}
