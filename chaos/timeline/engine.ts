import type { History } from "../checkers/types.js";
import type { HttpProber } from "../experiment/assertions/types.js";
import type { FaultUnit } from "../experiment/fault-unit.js";
import type { Telemetry } from "../experiment/telemetry.js";
import type { Load } from "../experiment/types.js";
import type { RunTimes } from "../experiment/windows.js";
import type { Journal } from "../journal/write-ahead.js";
import type { Clock } from "./clock.js";
import type { RunObserver } from "./observer.js";

/** A load that is running; `done` settles when it has run its duration or was stopped. */
export interface RunningLoad {
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Starts an experiment's load (the flood, or k6); resolves once requests are going out. */
export interface LoadDriver {
  start(load: Load, signal: AbortSignal): Promise<RunningLoad>;
}

/** The run's ground truth for checkers: flood outcomes, ledger effects, breaker transitions, callee calls. */
export interface HistorySource {
  collect(times: RunTimes): Promise<History>;
}

/** Turns a defense on or off in every process of the topology that has it (the agents' switches). */
export interface DefenseSwitches {
  set(name: string, enabled: boolean): Promise<void>;
}

/** What the run loop works with; every part is an interface, so tests plug in fakes and a simulated clock. */
export interface Engine {
  readonly clock: Clock;
  readonly faults: Readonly<Record<string, FaultUnit>>;
  readonly journal: Journal;
  readonly telemetry: Telemetry;
  readonly http: HttpProber;
  readonly load: LoadDriver;
  readonly history: HistorySource;
  readonly switches: DefenseSwitches;
  /** Aborting ends the run as "aborted", after healing. */
  readonly signal?: AbortSignal;
  /**
   * How long telemetry takes to reach the collector (export batching); waited before measuring when there is
   * no `flushTelemetry` or it failed. Default 0.
   */
  readonly telemetryLagMillis?: number;
  /**
   * Brings all telemetry up to now into the collector; when it resolves, measuring need not wait out
   * `telemetryLagMillis`. When it rejects, the run says so in its events and waits the lag instead.
   */
  readonly flushTelemetry?: () => Promise<void>;
  /**
   * Longest a single step may take (inject, verify, heal, a defense switch, starting the load) before the
   * run gives up on it with an error. Default 60 000 ms.
   */
  readonly stepTimeoutMillis?: number;
  /** Run ids; random UUIDs by default. */
  readonly newRunId?: () => string;
  /** Sees each run as it happens (the collector's run store); none by default. */
  readonly observer?: RunObserver;
}

/** An engine that loads nothing and records nothing: a base for tests and dry runs to override parts of. */
export const idleLoad: LoadDriver = {
  async start() {
    return { done: Promise.resolve(), stop: async () => {} };
  },
};

export const emptyHistory: HistorySource = { collect: async () => ({}) };

export const noSwitches: DefenseSwitches = {
  async set(name) {
    throw new Error(`no defense switches are wired: cannot turn off "${name}"`);
  },
};
