import { setTimeout as sleep } from "node:timers/promises";
import type { NodeStatus } from "../supervisor/node-spec.js";
import type { Leader } from "./leaders.js";

const REQUEST_TIMEOUT_MILLIS = 2000;
/** How long the new leader has to report that it leads once MoveLeader has answered. */
const TAKEOVER_MILLIS = 5000;
const POLL_MILLIS = 100;
/** The gauge of open gRPC watch streams (one per client, however many keys it watches) in etcd 3.4. */
const WATCH_STREAMS = /^etcd_debugging_mvcc_watch_stream_total (\S+)$/m;

interface Member {
  readonly node: NodeStatus;
  readonly port: number;
  readonly id: string;
  readonly leaderId: string;
  readonly watchStreams: number;
}

async function post(port: number, path: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLIS),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${String(answer.message)}`);
  return answer;
}

/** The member's own id and the leader it knows (etcd's JSON gateway; ids are decimal strings). */
async function status(port: number): Promise<{ id: string; leaderId: string }> {
  const answer = (await post(port, "/v3/maintenance/status", {})) as {
    header?: { member_id?: string };
    leader?: string;
  };
  const id = answer.header?.member_id;
  if (id === undefined || answer.leader === undefined) throw new Error("status without member or leader id");
  return { id, leaderId: answer.leader };
}

async function watchStreams(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLIS),
  });
  const match = WATCH_STREAMS.exec(await response.text());
  if (match === null) throw new Error("/metrics has no etcd_debugging_mvcc_watch_stream_total");
  return Number(match[1]);
}

async function member(node: NodeStatus): Promise<Member> {
  const port = node.ports.client;
  if (port === undefined) throw new Error("no client port");
  return { node, port, ...(await status(port)), watchStreams: await watchStreams(port) };
}

/** Polls (bounded by TAKEOVER_MILLIS) until the member says it leads; whether it did. */
async function awaitLeadership(target: Member): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < TAKEOVER_MILLIS) {
    const now = await status(target.port).catch(() => null);
    if (now !== null && now.leaderId === target.id) return true;
    await sleep(POLL_MILLIS);
  }
  return false;
}

/**
 * Makes the member that holds the most watch streams the etcd leader, so that killing the leader breaks the
 * streams of the watchers it serves, instead of whichever share of them happened to connect to the leader.
 * Leadership goes over through etcd's MoveLeader, which only the current leader accepts. Resolves to that
 * member once it reports that it leads, or to why not: a member whose streams cannot be read (the most
 * watched one could hide there), no member with a watch stream (killing the leader would then test no
 * watcher), no leader, or a handoff that did not complete. A handoff is not undone: a leader elsewhere is a
 * state the cluster reaches on every election.
 */
export async function leadWithMostWatched(candidates: readonly NodeStatus[]): Promise<Leader | string> {
  const members: Member[] = [];
  const unreadable: string[] = [];
  for (const node of candidates) {
    try {
      members.push(await member(node));
    } catch (error) {
      unreadable.push(`${node.name}: ${(error as Error).message}`);
    }
  }
  if (unreadable.length > 0) return `cannot count the watch streams of ${unreadable.join("; ")}`;
  const counts = members.map((m) => `${m.node.name} ${m.watchStreams}`).join(", ");
  const watched = members.reduce<Member | undefined>(
    (best, m) => (m.watchStreams > (best?.watchStreams ?? 0) ? m : best),
    undefined,
  );
  if (watched === undefined) return `no etcd member holds a watch stream (${counts})`;
  const leader = members.find((m) => m.id === m.leaderId);
  if (leader === undefined) return `no member says it leads (${counts})`;
  const why = `${watched.node.name} holds the most watch streams (${counts})`;
  const leads = `${watched.node.name} is the etcd leader (member ${watched.id})`;
  if (leader === watched) return { node: watched.node, evidence: `${why} and already leads; ${leads}` };
  const started = Date.now();
  try {
    await post(leader.port, "/v3/maintenance/transfer-leadership", { targetID: watched.id });
  } catch (error) {
    return `${why}; MoveLeader from ${leader.node.name} failed: ${(error as Error).message}`;
  }
  if (!(await awaitLeadership(watched))) {
    return `${why}; after MoveLeader from ${leader.node.name} it did not lead within ${TAKEOVER_MILLIS} ms`;
  }
  const handoff = `leadership handed from ${leader.node.name} (member ${leader.id}) in ${Date.now() - started} ms`;
  return { node: watched.node, evidence: `${why}; ${handoff}; ${leads}` };
}
