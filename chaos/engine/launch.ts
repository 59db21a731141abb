import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { projectRoot } from "../../collector/paths.js";
import type { NetworkMode, Profile } from "../experiment/types.js";
import type { Topology } from "../faults/context.js";
import type { PidRegistry } from "../supervisor/pid-registry.js";
import type { HistorySource } from "../timeline/engine.js";
import { LauncherError } from "./errors.js";

/** What `shakedown run` hands a topology module. */
export interface LaunchOptions {
  readonly profile: Profile;
  /** Extra environment for every service node, from the experiments' `topology.env`. */
  readonly env: Readonly<Record<string, string>>;
  /** `netns`: every node in a network namespace of its own (needed by `partition` on the topology's nodes). */
  readonly network: NetworkMode;
  /**
   * The run state directory (`.data/run`): nodes keep their files under `<runDir>/nodes`, and the PIDs
   * must be recorded in `<runDir>/pids.jsonl`, the `registry` given here, so `recover` can stop orphans.
   */
  readonly runDir: string;
  /** Give it to the Supervisor (`new Supervisor({ registry })`). */
  readonly registry: PidRegistry;
  readonly signal: AbortSignal;
  /** Where the topology's collector should write (`--db`); the launcher picks one when absent. */
  readonly databasePath?: string;
}

/** A running topology, as `shakedown run` drives it. */
export interface LaunchedTopology {
  /** The Supervisor of the nodes (faults resolve targets and restart nodes through it). */
  readonly topology: Topology;
  /** The collector's SQLite file, when the launch runs a collector; `--db` overrides it. */
  readonly databasePath?: string;
  /** The collector's API base, for trace links in the HTML report. */
  readonly collectorApiUrl?: string;
  /** How long the nodes' telemetry takes to reach the collector (export intervals). */
  readonly telemetryLagMillis?: number;
  /**
   * Has every running node export what it holds and the collector scrape once more; resolves when all of it
   * is stored, so a run can be judged at once instead of after `telemetryLagMillis`. Rejects, naming the
   * node, when a running node could not flush.
   */
  flushTelemetry?(): Promise<void>;
  /** Ground truth beyond the flood's records, e.g. the ledger's effects for `exactly_once`. */
  readonly history?: HistorySource;
  /** Stops every node and whatever else the launch started; called once, also after a failed run. */
  close(): Promise<void>;
  /**
   * While `close` runs: its parts that have not settled, each saying what it waits for ("supervisor stopping
   * nodes (kafka-1 (pid 812: SIGTERM 31.0 s ago, SIGKILL 1.0 s ago))"). Named in the message of a close that
   * does not finish in time.
   */
  pendingClose?(): readonly string[];
}

/**
 * A topology module exports `launchTopology`: it starts the nodes (healthy) under a Supervisor that records
 * their PIDs in `options.registry`, and returns them. The shop's is `chaos/engine/shop.ts`; tests
 * pass their own with `--topology`.
 */
export type LaunchTopology = (options: LaunchOptions) => Promise<LaunchedTopology>;

/** The shop's topology module, compiled (`shakedown up` starts the same topology). */
export const DEFAULT_TOPOLOGY_MODULE = join(projectRoot, "dist", "chaos", "engine", "shop.js");

export async function importLauncher(modulePath: string): Promise<LaunchTopology> {
  const path = isAbsolute(modulePath) ? modulePath : resolve(modulePath);
  if (!existsSync(path)) {
    throw new LauncherError(
      path,
      "does not exist (build with `npx tsc -p tsconfig.json`, or pass --topology MODULE)",
    );
  }
  let loaded: { launchTopology?: unknown };
  try {
    loaded = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new LauncherError(path, `cannot be loaded: ${(error as Error).message}`);
  }
  if (typeof loaded.launchTopology !== "function")
    throw new LauncherError(path, "exports no launchTopology function");
  return loaded.launchTopology as LaunchTopology;
}
