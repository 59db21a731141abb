import type { Injection, JsonObject, Target } from "../experiment/fault-unit.js";
import type { NodeStatus } from "../supervisor/node-spec.js";
import type { FaultContext, FaultFactory } from "./context.js";
import { durationMillis, durationSchema } from "./durations.js";
import {
  describeRefs,
  ensureRunning,
  type ProcessRef,
  pollUntil,
  processRef,
  processState,
  sameProcess,
  signalProcess,
} from "./process.js";
import { everyCandidate, nodeTargetSchema, resolveTargets } from "./targets.js";

/** Shared plumbing of the faults that end processes with a signal (`kill`, `terminate`). */
export interface SignalFaultOptions {
  readonly name: string;
  readonly description: string;
  readonly signal: "SIGKILL" | "SIGTERM";
  /** How long verify waits for the processes to be gone unless the config says `within`. */
  readonly withinMillis: number;
  /**
   * Chooses the nodes to signal, with a line of evidence for why; default: the nodes the target names
   * (`resolveTargets`). The schemas then describe what the chooser reads.
   */
  readonly choose?: {
    readonly targetSchema: object;
    readonly configSchema: object;
    pick(
      target: Target,
      config: JsonObject,
      context: FaultContext,
    ): Promise<{ nodes: NodeStatus[]; evidence: string }>;
  };
}

export function processesOf(injection: Injection): ProcessRef[] {
  return injection.processes as unknown as ProcessRef[];
}

export function signalFault(options: SignalFaultOptions): FaultFactory {
  return (context: FaultContext) => ({
    name: options.name,
    description: options.description,
    targetSchema: options.choose?.targetSchema ?? nodeTargetSchema,
    configSchema: options.choose?.configSchema ?? {
      type: "object",
      additionalProperties: false,
      properties: { within: durationSchema },
    },
    async inject(target: Target, config: JsonObject) {
      const chosen =
        options.choose === undefined
          ? { nodes: resolveTargets(options.name, target, context), evidence: "" }
          : await options.choose.pick(target, config, context);
      const processes = chosen.nodes.map(processRef);
      for (const ref of processes) signalProcess(ref, options.signal);
      return {
        signal: options.signal,
        withinMillis: durationMillis(config.within, options.withinMillis),
        processes,
        ...(chosen.evidence === "" ? {} : { chosen: chosen.evidence }),
      };
    },
    async verify(injection) {
      const processes = processesOf(injection);
      const withinMillis = injection.withinMillis as number;
      const gone = await pollUntil(() => processes.every((ref) => !sameProcess(ref)), withinMillis);
      const why = typeof injection.chosen === "string" ? `${injection.chosen}; ` : "";
      if (gone)
        return {
          tookEffect: true,
          evidence: `${why}gone after ${injection.signal}: ${describeRefs(processes)}`,
        };
      const alive = processes
        .filter(sameProcess)
        .map((ref) => `${ref.node} (pid ${ref.pid}, state ${processState(ref.pid)})`);
      return {
        tookEffect: false,
        evidence: `still running ${withinMillis} ms after ${injection.signal}: ${alive.join(", ")}`,
      };
    },
    async heal(injection) {
      for (const ref of processesOf(injection)) await ensureRunning(context.topology, ref);
    },
    async healUnconfirmed(target: Target) {
      for (const node of everyCandidate(target, context)) {
        if (node.state !== "healthy") await context.topology?.restart(node.name);
      }
    },
  });
}
