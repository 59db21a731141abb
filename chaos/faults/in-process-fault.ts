import type { InProcessFault } from "../../agents/faults.js";
import type { Injection, JsonObject, Verification } from "../experiment/fault-unit.js";
import {
  type AgentEndpoint,
  agentEndpoint,
  clearFault,
  noAdminPort,
  readControl,
  sameFault,
  setFault,
} from "./agent-client.js";
import type { FaultContext, FaultFactory } from "./context.js";
import { HealError } from "./errors.js";
import { type ProcessRef, processRef, sameProcess } from "./process.js";
import { everyCandidate, nodeTargetSchema, resolveTargets } from "./targets.js";

/** A node with an agent, as an in-process injection records it. */
export type AgentRef = ProcessRef & AgentEndpoint & { readonly httpPort: number | null };

/** A request through the node's own `http` port that shows the fault from outside. */
export interface ProbeSpec {
  readonly path: string;
  readonly attempts: number;
}

export const probeSchema = {
  type: "object",
  additionalProperties: false,
  required: ["path"],
  properties: {
    path: { type: "string", pattern: "^/" },
    attempts: { type: "integer", minimum: 1, maximum: 1000 },
  },
} as const;

export const operationsSchema = { type: "array", items: { type: "string", minLength: 1 } } as const;

/** Shared plumbing of the faults set through a node's agent control endpoint (`error_rate`, `latency`). */
export interface InProcessFaultOptions {
  readonly name: string;
  readonly description: string;
  readonly properties: Readonly<Record<string, object>>;
  readonly required: readonly string[];
  readonly defaultAttempts: number;
  toFault(config: JsonObject): InProcessFault;
  /** Judges what the probe saw on one node. */
  observe(node: AgentRef, fault: InProcessFault, probe: ProbeSpec): Promise<Verification>;
}

function nodesOf(injection: Injection): AgentRef[] {
  return injection.nodes as unknown as AgentRef[];
}

async function clearAndCheck(node: AgentEndpoint): Promise<void> {
  await clearFault(node);
  const state = await readControl(node);
  if (state.fault !== null)
    throw new HealError(node.node, `its agent still reports ${JSON.stringify(state.fault)}`);
}

export function inProcessFault(options: InProcessFaultOptions): FaultFactory {
  return (context: FaultContext) => ({
    name: options.name,
    description: options.description,
    targetSchema: nodeTargetSchema,
    configSchema: {
      type: "object",
      additionalProperties: false,
      required: [...options.required],
      properties: { ...options.properties, operations: operationsSchema, probe: probeSchema },
    },
    async inject(target, config) {
      const fault = options.toFault(config);
      const nodes: AgentRef[] = resolveTargets(options.name, target, context, noAdminPort).map((status) => ({
        ...processRef(status),
        ...(agentEndpoint(status) as AgentEndpoint),
        httpPort: status.ports.http ?? null,
      }));
      const done: AgentRef[] = [];
      try {
        for (const node of nodes) {
          await setFault(node, fault);
          done.push(node);
        }
      } catch (error) {
        await Promise.allSettled(done.map(clearFault));
        throw error;
      }
      const raw = config.probe as { path: string; attempts?: number } | undefined;
      const probe: ProbeSpec | null =
        raw === undefined ? null : { path: raw.path, attempts: raw.attempts ?? options.defaultAttempts };
      const recorded = {
        errorRate: fault.errorRate,
        addedLatencyMillis: fault.addedLatencyMillis,
        jitterMillis: fault.jitterMillis,
        operations: [...fault.operations],
      };
      return {
        nodes,
        fault: recorded,
        probe: probe === null ? null : { path: probe.path, attempts: probe.attempts },
      };
    },
    async verify(injection) {
      const fault = injection.fault as unknown as InProcessFault;
      const probe = injection.probe as unknown as ProbeSpec | null;
      const evidence: string[] = [];
      for (const node of nodesOf(injection)) {
        const state = await readControl(node);
        if (!sameFault(state.fault, fault)) {
          return {
            tookEffect: false,
            evidence: `${node.node}'s agent reports fault ${JSON.stringify(state.fault)}`,
          };
        }
        if (probe === null) {
          evidence.push(`${node.node}'s agent reports the fault`);
          continue;
        }
        if (node.httpPort === null) {
          return { tookEffect: false, evidence: `${node.node} has no http port to probe ${probe.path} on` };
        }
        const observed = await options.observe(node, fault, probe);
        if (!observed.tookEffect) return observed;
        evidence.push(`${node.node}: ${observed.evidence}`);
      }
      return { tookEffect: true, evidence: evidence.join("; ") };
    },
    async heal(injection) {
      // A node restarted since (or gone) lost the fault with its process.
      for (const node of nodesOf(injection)) if (sameProcess(node)) await clearAndCheck(node);
    },
    async healUnconfirmed(target) {
      for (const status of everyCandidate(target, context)) {
        const endpoint = agentEndpoint(status);
        if (status.state === "healthy" && endpoint !== null) await clearAndCheck(endpoint);
      }
    },
  });
}

/** One probe request; status null when no answer came within the timeout. */
export async function probeOnce(
  node: AgentRef,
  path: string,
  timeoutMillis: number,
): Promise<{ status: number | null; elapsedMillis: number }> {
  const started = performance.now();
  try {
    const response = await fetch(`http://${node.host ?? "127.0.0.1"}:${node.httpPort}${path}`, {
      signal: AbortSignal.timeout(timeoutMillis),
    });
    await response.arrayBuffer();
    return { status: response.status, elapsedMillis: performance.now() - started };
  } catch {
    return { status: null, elapsedMillis: performance.now() - started };
  }
}
