/** A node of a topology: one process the supervisor starts, watches and stops. */
export interface NodeSpec {
  /** Unique within the topology, e.g. "catalog-1"; also the name faults target. */
  name: string;
  /** What the node is, e.g. "catalog", "etcd", "kafka"; faults can target every node of a role. */
  role: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /**
   * The network namespace (a host of `chaos/netns`) to run the node in, under `ip netns exec`; the node
   * then listens on its host's address. Omitted: the node runs in the supervisor's own namespace.
   */
  netns?: string;
  /** The address the node listens on and is reached at: its host's in a namespace. Default 127.0.0.1. */
  host?: string;
  /** The ports the node listens on, by name, chosen before it starts. */
  ports: Record<string, number>;
  /** Resolves true once the node serves; polled until it does or `startTimeoutMillis` runs out. */
  health: Probe;
  /** Nodes that must be healthy before this one starts. */
  dependsOn?: string[];
  startTimeoutMillis?: number;
  /** Time allowed between SIGTERM and SIGKILL when stopping. */
  stopTimeoutMillis?: number;
}

export interface Probe {
  /** A short description for errors: "tcp 127.0.0.1:2379". */
  description: string;
  check(signal: AbortSignal): Promise<boolean>;
}

export type NodeState = "starting" | "healthy" | "exited" | "stopped";

export interface NodeStatus {
  name: string;
  role: string;
  pid: number;
  state: NodeState;
  /** Where the node's ports are reached from the engine's namespace (`NodeSpec.host`). */
  host: string;
  ports: Record<string, number>;
  restarts: number;
  exitCode: number | null;
  exitSignal: string | null;
}
