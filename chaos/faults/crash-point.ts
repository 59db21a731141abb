import type { Injection, JsonObject, Target } from "../experiment/fault-unit.js";
import { type AgentEndpoint, armCrashPoint, noAdminPort, readControl } from "./agent-client.js";
import type { FaultContext, FaultFactory } from "./context.js";
import { durationMillis, durationSchema } from "./durations.js";
import { HealError } from "./errors.js";
import {
  describeRefs,
  ensureRunning,
  type ProcessRef,
  pollUntil,
  processRef,
  sameProcess,
} from "./process.js";
import { everyCandidate, nodeTargetSchema, resolveTargets } from "./targets.js";

type ArmedNode = ProcessRef & AgentEndpoint;

const DEFAULT_WITHIN_MILLIS = 10_000;

function nodesOf(injection: Injection): ArmedNode[] {
  return injection.nodes as unknown as ArmedNode[];
}

async function disarm(node: AgentEndpoint, point: string): Promise<void> {
  await armCrashPoint(node, point, false);
  const armed = (await readControl(node)).crashPoints[point];
  if (armed !== false) throw new HealError(node.node, `crash point ${point} still reads armed=${armed}`);
}

/**
 * `crash_point`: arms a named crash point (agents/crash-points.ts) on the target nodes, so each one SIGKILLs
 * itself the next time its code reaches that step: `outbox.after_publish` crashes the orders relay after the
 * broker acknowledged a batch and before the rows are marked sent. Verified once at least one target has
 * crashed there (a replica whose code never reaches the step stays up); healed by restarting the crashed
 * nodes and disarming the others.
 */
export const crashPoint: FaultFactory = (context: FaultContext) => ({
  name: "crash_point",
  description:
    "Arms a named crash point in the target nodes (through their agent); each SIGKILLs itself when its code next reaches it. Heal restarts the crashed nodes.",
  targetSchema: nodeTargetSchema,
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["point"],
    properties: { point: { type: "string", pattern: "^[a-z][a-z0-9_.]*$" }, within: durationSchema },
  },
  async inject(target: Target, config: JsonObject) {
    const point = config.point as string;
    const nodes: ArmedNode[] = resolveTargets("crash_point", target, context, noAdminPort).map((status) => ({
      ...processRef(status),
      adminPort: status.ports.admin as number,
    }));
    // An unknown point is refused by the agent (404), which ends the run in error rather than in a pass.
    for (const node of nodes) await armCrashPoint(node, point, true);
    return { point, withinMillis: durationMillis(config.within, DEFAULT_WITHIN_MILLIS), nodes };
  },
  async verify(injection) {
    const nodes = nodesOf(injection);
    const withinMillis = injection.withinMillis as number;
    const crashed = await pollUntil(() => nodes.some((node) => !sameProcess(node)), withinMillis, 20);
    const gone = nodes.filter((node) => !sameProcess(node));
    return crashed
      ? { tookEffect: true, evidence: `crashed at ${injection.point}: ${describeRefs(gone)}` }
      : {
          tookEffect: false,
          evidence: `no target reached ${injection.point} within ${withinMillis} ms: ${describeRefs(nodes)} still run`,
        };
  },
  async heal(injection) {
    const point = injection.point as string;
    for (const node of nodesOf(injection)) {
      if (sameProcess(node)) await disarm(node, point);
      else await ensureRunning(context.topology, node);
    }
  },
  async healUnconfirmed(target: Target, config: JsonObject) {
    for (const status of everyCandidate(target, context)) {
      const adminPort = status.ports.admin;
      if (status.state === "healthy" && adminPort !== undefined) {
        await disarm({ node: status.name, adminPort }, config.point as string);
      } else await context.topology?.restart(status.name);
    }
  },
});
