import { Redis } from "ioredis";
import type { NodeStatus } from "../supervisor/node-spec.js";
import type { FaultContext, FaultFactory } from "./context.js";
import { TargetError } from "./errors.js";
import { nodeTargetSchema, resolveTargets } from "./targets.js";

/** Keys deleted per DEL while sweeping a pattern, and hinted per SCAN step. */
const BATCH = 500;

const KEYS = {
  type: "array",
  minItems: 1,
  maxItems: 10_000,
  items: { type: "string", minLength: 1 },
} as const;
const PATTERN = { type: "string", minLength: 1 } as const;

const noRedisPort = (node: NodeStatus) => (node.ports.redis === undefined ? "has no redis port" : null);

/** What one Redis node lost: the keys removed, and (for `keys`) those that were not there to remove. */
type Expiry = {
  readonly node: string;
  readonly port: number;
  readonly removed: number;
  readonly absent: readonly string[];
};

async function withRedis<T>(host: string, port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** Deletes each key in one transaction, and names those that did not exist. */
async function expireKeys(
  redis: Redis,
  keys: readonly string[],
): Promise<{ removed: number; absent: string[] }> {
  const transaction = redis.multi();
  for (const key of keys) transaction.del(key);
  const replies = (await transaction.exec()) ?? [];
  const absent = keys.filter((_, index) => replies[index]?.[1] !== 1);
  return { removed: keys.length - absent.length, absent };
}

/** Deletes every key matching a glob pattern (SCAN, so Redis keeps serving meanwhile). */
async function expireMatching(redis: Redis, pattern: string): Promise<number> {
  let removed = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", BATCH);
    if (keys.length > 0) removed += await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
  return removed;
}

/**
 * Expires cache entries at a chosen moment, as if their TTLs ran out together: `keys` names hot keys
 * (`catalog:product:1`), each of which must have been cached, else the experiment's premise did not hold;
 * `match` sweeps a pattern (`catalog:product:*`) for a cold cache, whatever it held. Deleted with DEL, which
 * a cache-aside reader cannot tell from an expiry. Verified from Redis's replies (how many keys went); heal
 * has nothing to undo, since the cache refills on the next read.
 */
export const cacheExpire: FaultFactory = (context: FaultContext) => ({
  name: "cache_expire",
  description: "Deletes cache keys in the target Redis nodes at once, as if their TTLs had just run out.",
  targetSchema: nodeTargetSchema,
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { keys: KEYS, match: PATTERN },
    oneOf: [
      { properties: { keys: KEYS }, required: ["keys"] },
      { properties: { match: PATTERN }, required: ["match"] },
    ],
  },
  async inject(target, config) {
    const nodes = resolveTargets("cache_expire", target, context, noRedisPort);
    const keys = config.keys as string[] | undefined;
    const expiries: Expiry[] = [];
    for (const node of nodes) {
      const port = node.ports.redis as number;
      const expiry = await withRedis(node.host, port, async (redis) =>
        keys === undefined
          ? { removed: await expireMatching(redis, config.match as string), absent: [] }
          : expireKeys(redis, keys),
      );
      expiries.push({ node: node.name, port, ...expiry });
    }
    if (expiries.length === 0) throw new TargetError(target, "names no Redis node");
    return { mode: keys === undefined ? "match" : "keys", expiries };
  },
  async verify(injection) {
    const expiries = injection.expiries as readonly Expiry[];
    const removed = expiries.reduce((sum, expiry) => sum + expiry.removed, 0);
    const absent = [...new Set(expiries.flatMap((expiry) => expiry.absent))];
    const where = expiries.map((expiry) => expiry.node).join(", ");
    if (injection.mode === "keys" && absent.length > 0) {
      return {
        tookEffect: false,
        evidence: `not cached on ${where}, so nothing expired: ${absent.slice(0, 5).join(", ")}`,
      };
    }
    return { tookEffect: true, evidence: `${removed} key(s) deleted on ${where}` };
  },
  async heal() {},
  async healUnconfirmed() {},
});
