import { durationMillis, durationSchema } from "./durations.js";
import { inProcessFault, probeOnce } from "./in-process-fault.js";

/**
 * Adds `delay` (plus up to `jitter`) before the target nodes' operations, through the agent. Verified by
 * the agent reading the fault back and, with `probe`, by a probe call taking at least the added delay.
 */
export const latency = inProcessFault({
  name: "latency",
  description: "Delays the target nodes' operations by a fixed time plus jitter through their agent.",
  properties: { delay: durationSchema, jitter: durationSchema },
  required: ["delay"],
  defaultAttempts: 1,
  toFault: (config) => ({
    errorRate: 0,
    addedLatencyMillis: durationMillis(config.delay, 0),
    jitterMillis: durationMillis(config.jitter, 0),
    operations: (config.operations as string[] | undefined) ?? [],
  }),
  async observe(node, fault, probe) {
    const timeoutMillis = fault.addedLatencyMillis + fault.jitterMillis + 5000;
    let slowest = 0;
    for (let attempt = 0; attempt < probe.attempts; attempt++) {
      const { status, elapsedMillis } = await probeOnce(node, probe.path, timeoutMillis);
      slowest = Math.max(slowest, elapsedMillis);
      if (status !== null && elapsedMillis >= fault.addedLatencyMillis) {
        return {
          tookEffect: true,
          evidence: `a probe of ${probe.path} took ${Math.round(elapsedMillis)} ms (≥ ${fault.addedLatencyMillis} ms added)`,
        };
      }
    }
    return {
      tookEffect: false,
      evidence: `the slowest of ${probe.attempts} probes of ${probe.path} took ${Math.round(slowest)} ms, under the ${fault.addedLatencyMillis} ms added`,
    };
  },
});
