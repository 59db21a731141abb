import type { JsonObject, JsonValue, Target } from "./fault-unit.js";

export type Profile = "default" | "ha";

/** How the topology's nodes reach each other: all on loopback, or each in a network namespace of its own. */
export type NetworkMode = "loopback" | "netns";

/** What an experiment asks of the topology beyond its profile; experiments that differ get their own. */
export interface TopologySettings {
  /** Extra environment for every service node (e.g. `SHOP_RATE_LIMITS`), on top of the profile's. */
  readonly env: Readonly<Record<string, string>>;
  readonly network: NetworkMode;
}

/** Where an assertion or probe looks, before the run resolves it to times. */
export type WindowSpec =
  /** From the start of the method (load and faults) to its end. */
  | { readonly anchor: "run" }
  /** From the method's start, or `lengthMillis` before the fault's injection, until the injection. */
  | { readonly anchor: "before"; readonly fault: string; readonly lengthMillis: number | null }
  /** From `offsetMillis` after the fault's injection until its heal (an offset skips e.g. a lease's TTL). */
  | { readonly anchor: "during"; readonly fault: string; readonly offsetMillis: number }
  /** From `offsetMillis` after the fault's heal until the method's end, or for `lengthMillis`. */
  | {
      readonly anchor: "after";
      readonly fault: string;
      readonly offsetMillis: number;
      readonly lengthMillis: number | null;
    }
  /** The `lengthMillis` up to the moment of measuring (steady-state probes). */
  | { readonly anchor: "last"; readonly lengthMillis: number };

/** Inclusive bounds the measured value must respect. */
export interface Bar {
  readonly min?: number;
  readonly max?: number;
}

/** A steady-state probe or an assertion: a measurement of some kind, in a window, against a bar. */
export interface Measurement {
  readonly name: string;
  readonly kind: string;
  readonly description: string | null;
  readonly window: WindowSpec;
  readonly bar: Bar | null;
  /** The kind's own fields as written (`service`, `quantile`, `checker`, ...). */
  readonly params: JsonObject;
}

/** An HTTP request sent to a node of the topology, by service name; never to another host. */
export interface RequestTemplate {
  readonly method: string;
  readonly service: string;
  /** Path and query; `{{key}}` anywhere in path, headers or body is replaced by a fresh idempotency key. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: JsonValue | null;
}

/** A POST sent once before a flood, to the flood's service; the `token` of its JSON answer fills `{{token}}`. */
export interface FloodLogin {
  readonly path: string;
  readonly body: JsonValue;
}

/** Open-model constant arrival rate: requests leave on schedule whether or not earlier ones returned. */
export interface FloodLoad {
  readonly type: "flood";
  readonly ratePerSecond: number;
  readonly durationMillis: number;
  readonly timeoutMillis: number;
  readonly request: RequestTemplate;
  readonly login?: FloodLogin;
  /** Response headers kept in each request's record (lowercase names), for assertions on the answers. */
  readonly recordHeaders?: readonly string[];
}

export interface K6Load {
  readonly type: "k6";
  /** Absolute path of the script (written relative to the experiment file). */
  readonly script: string;
  readonly durationMillis: number;
  readonly vus: number | null;
  readonly env: Readonly<Record<string, string>>;
}

export type Load = FloodLoad | K6Load;

/** One fault of the method: inject at `atMillis` after the method starts, heal after `durationMillis`. */
export interface FaultAction {
  /** Name windows refer to; defaults to the fault's name. */
  readonly id: string;
  readonly atMillis: number;
  readonly fault: string;
  readonly target: Target;
  readonly config: JsonObject;
  /** Null: stays until the method ends. */
  readonly durationMillis: number | null;
}

/** An action run after every run, whatever its outcome, through a fault unit's inject and verify. */
export interface RollbackAction {
  readonly fault: string;
  readonly target: Target;
  readonly config: JsonObject;
}

/** A negative control: the same experiment with these defense switches off, which must then fail. */
export interface Control {
  readonly name: string;
  readonly description: string | null;
  readonly disable: readonly string[];
  readonly expect: "fail";
}

export interface Experiment {
  readonly file: string;
  readonly title: string;
  readonly description: string | null;
  readonly profile: Profile;
  readonly topology: TopologySettings;
  readonly steadyState: { readonly title: string | null; readonly probes: readonly Measurement[] };
  readonly load: Load | null;
  readonly method: readonly FaultAction[];
  readonly assertions: readonly Measurement[];
  readonly controls: readonly Control[];
  readonly rollbacks: readonly RollbackAction[];
}
