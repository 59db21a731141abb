import type { FaultContext, FaultFactory } from "./context.js";
import { HealError } from "./errors.js";
import {
  describeRefs,
  type ProcessRef,
  pollUntil,
  processRef,
  processState,
  sameProcess,
  signalProcess,
} from "./process.js";
import { processesOf } from "./signal-fault.js";
import { everyCandidate, nodeTargetSchema, resolveTargets } from "./targets.js";

/** How long the kernel gets to show a signal's effect in /proc before verify or heal gives up. */
const SETTLE_MILLIS = 2000;

const stopped = (ref: ProcessRef) => sameProcess(ref) && processState(ref.pid) === "T";

async function resume(processes: readonly ProcessRef[]): Promise<void> {
  const resumed = processes.filter((ref) => signalProcess(ref, "SIGCONT"));
  await pollUntil(() => !resumed.some(stopped), SETTLE_MILLIS);
  const still = resumed.find(stopped);
  if (still !== undefined)
    throw new HealError(still.node, `pid ${still.pid} is still in state T after SIGCONT`);
}

/**
 * SIGSTOP: the node hangs with its sockets open, the failure only a timeout catches (Jepsen's pause).
 * Verified by /proc/<pid>/stat showing state T; healed by SIGCONT, verified by the state leaving T. Heal
 * needs only the recorded PIDs and start ticks, so `recover` resumes what a crashed run left stopped.
 */
export const pause: FaultFactory = (context: FaultContext) => ({
  name: "pause",
  description: "Stops the target nodes' processes with SIGSTOP; heal resumes them with SIGCONT.",
  targetSchema: nodeTargetSchema,
  configSchema: { type: "object", additionalProperties: false, properties: {} },
  async inject(target) {
    const processes = resolveTargets("pause", target, context).map(processRef);
    for (const ref of processes) signalProcess(ref, "SIGSTOP");
    return { processes };
  },
  async verify(injection) {
    const processes = processesOf(injection);
    if (await pollUntil(() => processes.every(stopped), SETTLE_MILLIS)) {
      return { tookEffect: true, evidence: `state T (stopped): ${describeRefs(processes)}` };
    }
    const states = processes.map(
      (ref) => `${ref.node} (pid ${ref.pid}) state ${processState(ref.pid) ?? "gone"}`,
    );
    return { tookEffect: false, evidence: `not stopped after SIGSTOP: ${states.join(", ")}` };
  },
  async heal(injection) {
    await resume(processesOf(injection));
  },
  async healUnconfirmed(target) {
    await resume(everyCandidate(target, context).map(processRef));
  },
});
