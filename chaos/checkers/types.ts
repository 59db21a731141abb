/**
 * A checker's verdict, Jepsen-style: `true` the property held, `false` it was violated, `"unknown"` the
 * history cannot decide (nothing to judge, or the checker itself failed).
 */
export type Validity = true | false | "unknown";

/** What a checker returns: its verdict plus whatever counts and examples explain it. */
export interface CheckResult {
  readonly valid: Validity;
  /** Why the verdict is not `true`, in one sentence; absent when it is. */
  readonly reason?: string;
  /** Trace ids of requests that show the violation, for the report to link. */
  readonly traceIds?: readonly string[];
  readonly [detail: string]: unknown;
}

/**
 * One step of a client's operation (Jepsen's op): `invoke` when the request is sent, then one completion —
 * `ok` acknowledged, `fail` definitely not applied, `info` indeterminate (a timeout or a lost connection: it
 * may or may not have taken effect). An invoke without a completion counts as indeterminate.
 */
export interface ClientOperation {
  readonly type: "invoke" | "ok" | "fail" | "info";
  /** The order id (idempotency key) the request carries, chosen by the client before sending. */
  readonly key: string;
  readonly timeMillis: number;
  readonly traceId?: string;
}

/** Observed effects of one key in the system of record (ledger rows grouped by order id). */
export interface Effect {
  readonly key: string;
  readonly count: number;
}

/** One request of a flood, as the load generator saw it; `status` null when no response came back. */
export interface RequestOutcome {
  /** When the request was sent (its scheduled time in an open-model flood), Unix epoch milliseconds. */
  readonly timeMillis: number;
  /** When it actually left, when known; later than `timeMillis` when the load generator fell behind. */
  readonly sentAtMillis?: number;
  readonly status: number | null;
  /** The response's `Retry-After` header, as received; absent or null when it had none. */
  readonly retryAfter?: string | null;
  readonly latencyMillis?: number;
  /** When the answer came back (Unix epoch ms): later than `timeMillis` + latency when it was sent late. */
  readonly answeredAtMillis?: number;
  readonly traceId?: string;
  /** The answer's headers the load recorded, by lowercase name; absent when it records none. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One record on a topic (the shop's `orders`): `key` is the operation key of its order (the Idempotency-Key
 * it was placed with), `attempt` the outbox attempt that published it (null when the record carries none).
 */
export interface PublishedRecord {
  readonly key: string;
  readonly attempt: number | null;
  readonly partition: number;
  readonly offset: number;
}

export type BreakerState = "closed" | "open" | "half_open";

/**
 * A circuit breaker changing state; `source` names the caller instance that owns the breaker, `callee` the
 * service it guards (a caller has one breaker per callee).
 */
export interface BreakerTransition {
  readonly timeMillis: number;
  readonly state: BreakerState;
  readonly source?: string;
  readonly callee?: string;
}

/**
 * One call that reached the callee; `timeMillis` is when the caller sent it when known (a call sent before
 * the breaker opened may arrive after), `source` the calling instance, `callee` the service called.
 */
export interface CalleeCall {
  readonly timeMillis: number;
  readonly source?: string;
  readonly callee?: string;
  readonly traceId?: string;
}

/** A fault of the run as it happened: when its injection began and its heal finished (null: never). */
export interface FaultWindow {
  readonly id: string;
  readonly injectedAtMillis: number | null;
  readonly healedAtMillis: number | null;
}

/** Everything recorded during a run that checkers judge; each checker reads the parts it needs. */
export interface History {
  readonly operations?: readonly ClientOperation[];
  readonly effects?: readonly Effect[];
  /** The records of the run's orders on the topic they were published to. */
  readonly records?: readonly PublishedRecord[];
  readonly requests?: readonly RequestOutcome[];
  readonly breakerTransitions?: readonly BreakerTransition[];
  readonly calleeCalls?: readonly CalleeCall[];
  /** The run's faults, so checkers can time what happened against them (time to open after injection). */
  readonly faults?: readonly FaultWindow[];
}

/**
 * A pure function of a recorded history (Jepsen's checker). It never talks to the system under test; it may
 * throw on a malformed history, which `check()` turns into an `"unknown"` verdict.
 */
export interface Checker<C extends object = object> {
  /** The snake_case name experiment files use. */
  readonly name: string;
  /** One sentence: the property it checks. */
  readonly description: string;
  /** JSON schema of `config`; experiment files are validated against it before a run. */
  readonly configSchema: object;
  check(history: History, config: C): CheckResult;
}
