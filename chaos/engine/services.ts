import type { Topology } from "../faults/context.js";
import type { NodeStatus } from "../supervisor/node-spec.js";
import { NoServiceError } from "./errors.js";

/** A node serves a service over HTTP when its role is the service's name and it has an `http` port. */
function serving(nodes: readonly NodeStatus[]): NodeStatus[] {
  return nodes.filter((node) => node.state === "healthy" && node.ports.http !== undefined);
}

/** A node's HTTP base URL at its own address (loopback, or its host's in a network namespace). */
const baseUrl = (node: NodeStatus) => `http://${node.host}:${node.ports.http}`;

/**
 * Base URLs of a service's running nodes by name, round robin per service: what the flood and the probes
 * send to. Asked per request, so a restarted node (new port or not) is found again.
 */
export function serviceResolver(topology: Topology): (service: string) => string {
  const turns = new Map<string, number>();
  return (service) => {
    const all = serving(topology.statuses());
    const nodes = all.filter((node) => node.role === service);
    if (nodes.length === 0) throw new NoServiceError(service, [...new Set(all.map((node) => node.role))]);
    const turn = turns.get(service) ?? 0;
    turns.set(service, turn + 1);
    return baseUrl(nodes[turn % nodes.length] as NodeStatus);
  };
}

/** One base URL per service with a running HTTP node, for a k6 script's environment. */
export function serviceUrls(topology: Topology): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const node of serving(topology.statuses())) urls[node.role] ??= baseUrl(node);
  return urls;
}
