import type { InProcessFault } from "../../agents/faults.js";
import type { NodeStatus } from "../supervisor/node-spec.js";
import { AgentControlError } from "./errors.js";

/** What a node's agent control endpoint reports (`GET /control`). */
export interface ControlState {
  readonly switches: Readonly<Record<string, boolean>>;
  readonly fault: InProcessFault | null;
  /** Every crash point the process defines, and whether it is armed. */
  readonly crashPoints: Readonly<Record<string, boolean>>;
}

/** A node's agent control endpoint: on the node's `admin` port, at its loopback address. */
export type AgentEndpoint = {
  readonly node: string;
  /** The node's address (its host's, in a network namespace); absent: 127.0.0.1. */
  readonly host?: string;
  readonly adminPort: number;
};

const TIMEOUT_MILLIS = 5000;

export function adminPort(node: NodeStatus): number | null {
  return node.ports.admin ?? null;
}

/** The control endpoint of a node that runs under the agent, or null when it has no admin port. */
export function agentEndpoint(node: NodeStatus): AgentEndpoint | null {
  const port = adminPort(node);
  return port === null ? null : { node: node.name, host: node.host, adminPort: port };
}

export function noAdminPort(node: NodeStatus): string | null {
  return adminPort(node) === null ? "has no admin port (it does not run under the agent)" : null;
}

async function call(endpoint: AgentEndpoint, method: string, path: string, body?: unknown): Promise<unknown> {
  const what = `${method} ${path}`;
  let response: Response;
  try {
    response = await fetch(`http://${endpoint.host ?? "127.0.0.1"}:${endpoint.adminPort}${path}`, {
      method,
      signal: AbortSignal.timeout(TIMEOUT_MILLIS),
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
  } catch (error) {
    throw new AgentControlError(
      endpoint.node,
      endpoint.adminPort,
      what,
      `got no answer (${(error as Error).message})`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    let detail = text;
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
    } catch {}
    throw new AgentControlError(
      endpoint.node,
      endpoint.adminPort,
      what,
      `answered ${response.status}: ${detail}`,
    );
  }
  return text === "" ? null : JSON.parse(text);
}

export async function readControl(endpoint: AgentEndpoint): Promise<ControlState> {
  return (await call(endpoint, "GET", "/control")) as ControlState;
}

export async function setFault(endpoint: AgentEndpoint, fault: InProcessFault): Promise<void> {
  await call(endpoint, "PUT", "/control/fault", fault);
}

export async function clearFault(endpoint: AgentEndpoint): Promise<void> {
  await call(endpoint, "DELETE", "/control/fault");
}

export async function setSwitch(endpoint: AgentEndpoint, name: string, enabled: boolean): Promise<void> {
  await call(endpoint, "PUT", `/control/switches/${encodeURIComponent(name)}`, { enabled });
}

export async function armCrashPoint(endpoint: AgentEndpoint, name: string, armed: boolean): Promise<void> {
  await call(endpoint, "PUT", `/control/crash-points/${encodeURIComponent(name)}`, { armed });
}

/** Has the node's agent export the telemetry it holds; resolves once the collector has acknowledged it. */
export async function flushTelemetry(endpoint: AgentEndpoint): Promise<void> {
  await call(endpoint, "POST", "/control/telemetry/flush");
}

/** True when both describe the same fault (the agent echoes what it was given, field by field). */
export function sameFault(a: InProcessFault | null, b: InProcessFault | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.errorRate === b.errorRate &&
    a.addedLatencyMillis === b.addedLatencyMillis &&
    a.jitterMillis === b.jitterMillis &&
    a.operations.length === b.operations.length &&
    a.operations.every((operation, index) => b.operations[index] === operation)
  );
}
