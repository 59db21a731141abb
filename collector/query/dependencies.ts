import type Database from "better-sqlite3";
import { entryCounts } from "./entry-spans.js";
import { type LatencySummary, latencySummary } from "./percentile.js";
import { statement } from "./statements.js";
import type { TimeWindow } from "./window.js";

export type EdgeKind = "rpc" | "messaging";

export interface DependencyNode {
  service: string;
  /** Entry spans of the service in the window (as in its RED metrics) and how many of them failed. */
  calls: number;
  errors: number;
}

export interface DependencyEdge extends LatencySummary {
  parent: string;
  child: string;
  calls: number;
  errors: number;
  kind: EdgeKind;
}

interface CallRow {
  parent: string;
  child: string;
  messaging: bigint;
  durationNs: bigint;
  statusCode: bigint;
}

/** Child spans whose parent belongs to another service; PRODUCER → CONSUMER pairs are messaging. */
const PARENT_CALLS_SQL = `SELECT p.service_name AS parent, c.service_name AS child,
  (c.kind = 5 OR p.kind = 4) AS messaging, c.duration_ns AS durationNs, c.status_code AS statusCode
FROM spans c JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
WHERE c.start_ns >= ? AND c.start_ns < ? AND p.service_name <> c.service_name`;

/**
 * CONSUMER spans linked to another service's PRODUCER span: a consumer that starts its own trace per message or
 * batch. A link to the span's own parent is already counted as a parent call.
 */
const LINKED_CALLS_SQL = `SELECT p.service_name AS parent, c.service_name AS child, 1 AS messaging,
  c.duration_ns AS durationNs, c.status_code AS statusCode
FROM spans c, json_each(c.links) l
  JOIN spans p ON p.trace_id = unhex(l.value ->> 'traceId') AND p.span_id = unhex(l.value ->> 'spanId')
WHERE c.start_ns >= ? AND c.start_ns < ? AND c.kind = 5 AND c.links <> '[]'
  AND p.kind = 4 AND p.service_name <> c.service_name
  AND NOT (p.trace_id = c.trace_id AND p.span_id IS c.parent_span_id)`;

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface EdgeAccumulator {
  parent: string;
  child: string;
  kind: EdgeKind;
  errors: number;
  durationsNs: number[];
}

/** The service graph of the window: who called whom, how often, how it went, and how long the callee took. */
export function dependencyGraph(
  db: Database.Database,
  window: TimeWindow,
): { nodes: DependencyNode[]; edges: DependencyEdge[] } {
  const edges = new Map<string, EdgeAccumulator>();
  for (const sql of [PARENT_CALLS_SQL, LINKED_CALLS_SQL]) {
    for (const call of statement<CallRow>(db, sql).iterate(window.startNs, window.endNs)) {
      const kind: EdgeKind = call.messaging === 1n ? "messaging" : "rpc";
      const key = JSON.stringify([call.parent, call.child, kind]);
      let edge = edges.get(key);
      if (edge === undefined) {
        edge = { parent: call.parent, child: call.child, kind, errors: 0, durationsNs: [] };
        edges.set(key, edge);
      }
      edge.durationsNs.push(Number(call.durationNs));
      if (call.statusCode === 2n) edge.errors++;
    }
  }

  const services = new Set<string>();
  const active = statement(
    db,
    "SELECT 1 FROM spans WHERE service_name = ? AND start_ns >= ? AND start_ns < ? LIMIT 1",
  );
  const known = statement<{ name: string }>(db, "SELECT DISTINCT service_name AS name FROM resources").all();
  for (const { name } of known) {
    if (active.get(name, window.startNs, window.endNs) !== undefined) services.add(name);
  }
  // A caller whose span started before the window is still a node of the graph.
  for (const edge of edges.values()) services.add(edge.parent).add(edge.child);

  const nodes = [...services]
    .sort()
    .map((service): DependencyNode => ({ service, ...entryCounts(db, service, window) }));
  const edgeList = [...edges.values()]
    .map(
      (edge): DependencyEdge => ({
        parent: edge.parent,
        child: edge.child,
        calls: edge.durationsNs.length,
        errors: edge.errors,
        ...latencySummary(edge.durationsNs),
        kind: edge.kind,
      }),
    )
    .sort(
      (a, b) =>
        compareText(a.parent, b.parent) || compareText(a.child, b.child) || compareText(a.kind, b.kind),
    );
  return { nodes, edges: edgeList };
}
