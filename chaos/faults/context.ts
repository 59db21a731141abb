import type { FaultUnit, HealsUnconfirmed } from "../experiment/fault-unit.js";
import type { NodeStatus } from "../supervisor/node-spec.js";

/** The running topology faults act on: the Supervisor that started its nodes satisfies it. */
export interface Topology {
  statuses(): NodeStatus[];
  /** Stops the node and starts it again from its spec; resolves once it is healthy. */
  restart(name: string): Promise<void>;
  /** An environment variable every node started from now on gets over its spec's; undefined removes it. */
  setStartEnvironment(name: string, value: string | undefined): void;
}

/** What a fault unit may use besides its target and config. */
export interface FaultContext {
  /**
   * Null in `recover`: the crashed engine's topology went with it, so a unit can act only on what its
   * injection recorded (PIDs with their start ticks, admin ports), and orphans are stopped by PID anyway.
   */
  readonly topology: Topology | null;
  /** Uniform in [0, 1), seeded by `--seed N` so "one random" picks the same node on a replay. */
  readonly random: () => number;
}

/**
 * One fault kind: a function of the context that returns its unit (with `healUnconfirmed` when it can clean
 * up after an engine that died inside inject). Creating a unit does no I/O.
 */
export type FaultFactory = (context: FaultContext) => FaultUnit & Partial<HealsUnconfirmed>;

/**
 * mulberry32: a seeded generator in five lines. Written here because a replayable pick needs only this,
 * and Math.random cannot be seeded.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The context of `recover` and of validation: no topology, a fixed seed. */
export function detachedContext(): FaultContext {
  return { topology: null, random: seededRandom(0) };
}
