import type { FaultContext, FaultFactory } from "./context.js";
import { DetachedError } from "./errors.js";
import { describeRefs, ensureRunning, processRef, sameProcess } from "./process.js";
import { processesOf } from "./signal-fault.js";
import { everyCandidate, nodeTargetSchema, resolveTargets } from "./targets.js";

/**
 * An orderly restart through the supervisor (SIGTERM, SIGKILL after the node's stop timeout, start, wait
 * for health): the fault is the gap while the node is away and cold afterwards. Verified by a new, healthy
 * PID with the old process gone; heal makes sure the node runs again if the restart failed half-way.
 */
export const restart: FaultFactory = (context: FaultContext) => ({
  name: "restart",
  description: "Restarts the target nodes through the supervisor, one after another.",
  targetSchema: nodeTargetSchema,
  configSchema: { type: "object", additionalProperties: false, properties: {} },
  async inject(target) {
    const topology = context.topology;
    if (topology === null) throw new DetachedError("restart");
    const processes = resolveTargets("restart", target, context).map(processRef);
    for (const ref of processes) await topology.restart(ref.node);
    return { processes };
  },
  async verify(injection) {
    const processes = processesOf(injection);
    const statuses = context.topology?.statuses() ?? [];
    const problems = processes.flatMap((ref) => {
      const now = statuses.find((node) => node.name === ref.node);
      if (now === undefined || now.state !== "healthy") return [`${ref.node} is not running`];
      if (now.pid === ref.pid || sameProcess(ref)) return [`${ref.node} still runs as pid ${ref.pid}`];
      return [];
    });
    if (problems.length > 0) return { tookEffect: false, evidence: problems.join("; ") };
    const now = processes.map((ref) => statuses.find((node) => node.name === ref.node)?.pid);
    return { tookEffect: true, evidence: `restarted ${describeRefs(processes)} as pids ${now.join(", ")}` };
  },
  async heal(injection) {
    for (const ref of processesOf(injection)) await ensureRunning(context.topology, ref);
  },
  async healUnconfirmed(target) {
    for (const node of everyCandidate(target, context)) {
      if (node.state !== "healthy") await context.topology?.restart(node.name);
    }
  },
});
