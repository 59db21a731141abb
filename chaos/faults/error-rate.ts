import { inProcessFault, probeOnce } from "./in-process-fault.js";

/**
 * Makes a share of the target nodes' operations fail inside the process, through the agent. Verified by
 * the agent reading the fault back and, with `probe`, by at least one of `attempts` probe calls failing.
 */
export const errorRate = inProcessFault({
  name: "error_rate",
  description: "Fails the given share of the target nodes' operations through their agent.",
  properties: { rate: { type: "number", minimum: 0, maximum: 1 } },
  required: ["rate"],
  defaultAttempts: 20,
  toFault: (config) => ({
    errorRate: config.rate as number,
    addedLatencyMillis: 0,
    jitterMillis: 0,
    operations: (config.operations as string[] | undefined) ?? [],
  }),
  async observe(node, _fault, probe) {
    let failed = 0;
    for (let attempt = 0; attempt < probe.attempts && failed === 0; attempt++) {
      const { status } = await probeOnce(node, probe.path, 5000);
      if (status === null || status >= 500) failed++;
    }
    return failed > 0
      ? { tookEffect: true, evidence: `a probe of ${probe.path} failed` }
      : { tookEffect: false, evidence: `${probe.attempts} probes of ${probe.path} all succeeded` };
  },
});
