import type { Target } from "../experiment/fault-unit.js";
import { TargetError } from "./errors.js";
import { leadWithMostWatched } from "./etcd-handoff.js";
import { describeLeaderOf, findLeader, leaderConfigSchema, leaderOf } from "./leaders.js";
import { signalFault } from "./signal-fault.js";
import { resolveTargets } from "./targets.js";

/** `{ role: etcd }`: the nodes among which the leader is looked for. */
const roleTargetSchema = {
  type: "object",
  additionalProperties: false,
  required: ["role"],
  properties: { role: { type: "string", minLength: 1 } },
} as const;

/**
 * SIGKILL of whichever node leads at the moment of injection: the etcd cluster's leader, or the leader of
 * one Kafka partition (`config: { system: kafka, topic: orders, partition: 0 }`). The leader is asked of the
 * cluster itself, so the fault hits the node whose loss forces an election. With `mostWatched: true` (etcd),
 * leadership first moves to the member holding the most watch streams, so the kill also breaks the watchers'
 * streams; a cluster without watch streams is a target error. Heal restarts it.
 */
export const killLeader = signalFault({
  name: "kill_leader",
  description:
    "Ends the current leader (etcd, optionally moved first to the most watched member, or a Kafka partition's) among the target role's nodes with SIGKILL; heal restarts it.",
  signal: "SIGKILL",
  withinMillis: 5000,
  choose: {
    targetSchema: roleTargetSchema,
    configSchema: leaderConfigSchema,
    async pick(target: Target, config, context) {
      const candidates = resolveTargets("kill_leader", target, context);
      const of = leaderOf(config);
      const leader =
        of.system === "etcd" && of.mostWatched === true
          ? await leadWithMostWatched(candidates)
          : await findLeader(of, candidates);
      if (typeof leader === "string")
        throw new TargetError(target, `no leader of ${describeLeaderOf(of)}: ${leader}`);
      return { nodes: [leader.node], evidence: leader.evidence };
    },
  },
});
