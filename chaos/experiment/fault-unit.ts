/** Plain JSON data: what experiment files hold and what the write-ahead journal stores. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };
export type JsonObject = { readonly [key: string]: JsonValue };

/**
 * Whom a fault acts on, as written in the experiment (`{ node: "catalog-1" }`, `{ role: "catalog", pick:
 * "one" }`, `{ link: { from: "gateway", to: "catalog" } }`). Each unit interprets and validates its own.
 */
export type Target = JsonObject;

/**
 * What an injection did, precisely enough to verify and heal it — also from the journal in another process
 * after a crash (PIDs, nftables table names, toxic names). Must be JSON.
 */
export type Injection = JsonObject;

/** Whether an injection took effect, with what was observed (e.g. "pid 4121 gone", "probe timed out"). */
export interface Verification {
  readonly tookEffect: boolean;
  readonly evidence: string;
}

/**
 * One kind of fault (Toxiproxy's toxic, Jepsen's nemesis), one file each in `chaos/faults/`, registered by
 * the snake_case name experiment files use. The engine journals the intent, calls `inject`, journals the
 * returned injection, calls `verify` — a fault that did not take effect ends the run in error — and always
 * calls `heal` in `finally`, or `recover` does it later from the journal.
 */
export interface FaultUnit {
  readonly name: string;
  /** One sentence: what it breaks. */
  readonly description: string;
  /** JSON schema of the action's `config`; experiment files are validated against it before a run. */
  readonly configSchema?: object;
  /** JSON schema of the action's `target`. */
  readonly targetSchema?: object;
  /**
   * Applies the fault. If it throws, it must first undo whatever it did (a wrong target then leaves nothing
   * behind); the run ends in error. It should stop early when `signal` aborts.
   */
  inject(target: Target, config: JsonObject, signal: AbortSignal): Promise<Injection>;
  verify(injection: Injection): Promise<Verification>;
  /** Undoes the injection; must succeed when called again on an already-healed injection. */
  heal(injection: Injection): Promise<void>;
}

/**
 * The optional ability to clean up after an engine that died inside `inject`, before the injection was
 * journaled: only the intent (target and config) is known, so the unit removes whatever it may have created.
 */
export interface HealsUnconfirmed {
  healUnconfirmed(target: Target, config: JsonObject): Promise<void>;
}

export function healsUnconfirmed(unit: FaultUnit): unit is FaultUnit & HealsUnconfirmed {
  return typeof (unit as Partial<HealsUnconfirmed>).healUnconfirmed === "function";
}

/** What validation needs to know of the fault units: their names and, optionally, their schemas. */
export type FaultCatalog = Readonly<Record<string, Pick<FaultUnit, "configSchema" | "targetSchema">>>;

/** A catalog of bare names, for validating before the units themselves are loaded. */
export function faultCatalog(names: readonly string[]): FaultCatalog {
  return Object.fromEntries(names.map((name) => [name, {}]));
}
