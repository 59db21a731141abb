import { Admin } from "@platformatic/kafka";
import type { JsonObject } from "../experiment/fault-unit.js";
import type { NodeStatus } from "../supervisor/node-spec.js";
import { durationSchema } from "./durations.js";

/** Which leader a leader fault is after: the etcd cluster's, or one Kafka partition's. */
export type LeaderOf =
  | { readonly system: "etcd"; readonly mostWatched?: boolean }
  | { readonly system: "kafka"; topic: string; partition: number };

/** The node that leads, and how the cluster said so (for the fault's evidence). */
export interface Leader {
  readonly node: NodeStatus;
  readonly evidence: string;
}

const LOOKUP_TIMEOUT_MILLIS = 2000;

/**
 * `{ system: etcd }`, or `{ system: kafka, topic, partition }`; `within` as for `kill`. `mostWatched: true`
 * (etcd) first hands leadership to the member holding the most watch streams (`leadWithMostWatched`).
 */
export const leaderConfigSchema = {
  oneOf: [
    {
      type: "object",
      additionalProperties: false,
      required: ["system"],
      properties: { system: { const: "etcd" }, mostWatched: { type: "boolean" }, within: durationSchema },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["system", "topic", "partition"],
      properties: {
        system: { const: "kafka" },
        topic: { type: "string", minLength: 1 },
        partition: { type: "integer", minimum: 0 },
        within: durationSchema,
      },
    },
  ],
} as const;

export function leaderOf(config: JsonObject): LeaderOf {
  return config.system === "kafka"
    ? { system: "kafka", topic: config.topic as string, partition: config.partition as number }
    : { system: "etcd", mostWatched: config.mostWatched === true };
}

export function describeLeaderOf(of: LeaderOf): string {
  if (of.system === "kafka") return `partition ${of.partition} of Kafka topic ${of.topic}`;
  return of.mostWatched === true ? "the etcd cluster on its most watched member" : "the etcd cluster";
}

interface EtcdStatus {
  header?: { member_id?: string };
  leader?: string;
}

/** Asks each member for its status (etcd's JSON gateway); the leader is the member whose id is the leader's. */
async function etcdLeader(candidates: readonly NodeStatus[]): Promise<Leader | string> {
  const answers: string[] = [];
  for (const node of candidates) {
    const port = node.ports.client;
    if (port === undefined) {
      answers.push(`${node.name}: no client port`);
      continue;
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v3/maintenance/status`, {
        method: "POST",
        body: "{}",
        signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MILLIS),
      });
      const status = (await response.json()) as EtcdStatus;
      const member = status.header?.member_id;
      if (member !== undefined && member === status.leader) {
        return { node, evidence: `${node.name} is the etcd leader (member ${member})` };
      }
      answers.push(`${node.name}: member ${member}, leader ${status.leader}`);
    } catch (error) {
      answers.push(`${node.name}: ${(error as Error).message}`);
    }
  }
  return `no member says it leads (${answers.join("; ")})`;
}

/** Reads the partition's leader from the metadata of any broker, and finds the node by its broker port. */
async function kafkaLeader(
  candidates: readonly NodeStatus[],
  topic: string,
  partition: number,
): Promise<Leader | string> {
  const bootstrapBrokers = candidates.flatMap((node) =>
    node.ports.broker === undefined ? [] : [`127.0.0.1:${node.ports.broker}`],
  );
  if (bootstrapBrokers.length === 0) return "no candidate has a broker port";
  const admin = new Admin({
    clientId: "shakedown-leader-lookup",
    bootstrapBrokers,
    retries: 1,
    connectTimeout: LOOKUP_TIMEOUT_MILLIS,
    timeout: LOOKUP_TIMEOUT_MILLIS,
  });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const leaderId = metadata.topics.get(topic)?.partitions[partition]?.leader;
    if (leaderId === undefined || leaderId < 0) return `partition ${partition} of ${topic} has no leader`;
    const broker = metadata.brokers.get(leaderId);
    const node = candidates.find((candidate) => candidate.ports.broker === broker?.port);
    if (node === undefined) return `broker ${leaderId} (port ${broker?.port}) is none of the candidates`;
    return { node, evidence: `${node.name} (broker ${leaderId}) leads partition ${partition} of ${topic}` };
  } catch (error) {
    return `metadata request failed: ${(error as Error).message}`;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** The candidate that currently leads, or why none could be found. */
export function findLeader(of: LeaderOf, candidates: readonly NodeStatus[]): Promise<Leader | string> {
  return of.system === "etcd" ? etcdLeader(candidates) : kafkaLeader(candidates, of.topic, of.partition);
}
