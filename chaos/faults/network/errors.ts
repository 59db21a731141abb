/** Errors the network fault units raise on purpose, each with a stable code. */
export type NetworkFaultErrorCode =
  | "SHAKEDOWN_NETWORK_TARGET_INVALID"
  | "SHAKEDOWN_NETWORK_UNAVAILABLE"
  | "SHAKEDOWN_NETWORK_HEAL_INCOMPLETE"
  | "SHAKEDOWN_TOXIPROXY_API"
  | "SHAKEDOWN_TOXIPROXY_START_FAILED";

export class NetworkFaultError extends Error {
  /** Marker shared with the engine's other errors, so generic `isChaosError` guards recognise it. */
  readonly isChaosError = true;
  constructor(
    readonly code: NetworkFaultErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A target or config that names no node, an empty group, or a node in two groups. */
export class NetworkTargetError extends NetworkFaultError {
  constructor(
    readonly fault: string,
    problem: string,
  ) {
    super("SHAKEDOWN_NETWORK_TARGET_INVALID", `${fault}: ${problem}`);
  }
}

/** Neither a host network nor Toxiproxy links exist for the nodes a fault targets. */
export class NetworkUnavailableError extends NetworkFaultError {
  constructor(
    readonly fault: string,
    reason: string,
  ) {
    super("SHAKEDOWN_NETWORK_UNAVAILABLE", `${fault}: no way to break this network: ${reason}`);
  }
}

/** Heal removed the rules or toxics, yet the paths they broke still do not answer. */
export class HealIncompleteError extends NetworkFaultError {
  constructor(
    readonly fault: string,
    evidence: string,
  ) {
    super(
      "SHAKEDOWN_NETWORK_HEAL_INCOMPLETE",
      `${fault} was removed but connectivity is not back: ${evidence}`,
    );
  }
}

/** Toxiproxy's HTTP API answered with an error status. */
export class ToxiproxyApiError extends NetworkFaultError {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    body: string,
  ) {
    super(
      "SHAKEDOWN_TOXIPROXY_API",
      `toxiproxy ${method} ${path} answered ${status}: ${body.trim().slice(0, 300)}`,
    );
  }
}

export class ToxiproxyStartError extends NetworkFaultError {
  constructor(reason: string, output: string) {
    super(
      "SHAKEDOWN_TOXIPROXY_START_FAILED",
      `toxiproxy-server did not start: ${reason}${output ? `\n${output}` : ""}`,
    );
  }
}

export function isNetworkFaultError(error: unknown): error is NetworkFaultError {
  return error instanceof NetworkFaultError;
}
