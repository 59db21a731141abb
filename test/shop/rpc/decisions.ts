import { registry } from "../../../agents/index.js";

/** How many times `defense` has decided `decision` in this process so far (the agent's decision counter). */
export async function decisionCount(defense: string, decision: string): Promise<number> {
  const metric = registry.getSingleMetric("shakedown_defense_decisions_total");
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((value) => value.labels.defense === defense && value.labels.decision === decision)
    .reduce((total, value) => total + value.value, 0);
}
