/** Errors the per-node network namespaces raise on purpose, each with a stable code. */
export type NetnsErrorCode =
  | "SHAKEDOWN_NETNS_UNAVAILABLE"
  | "SHAKEDOWN_NETNS_INVALID"
  | "SHAKEDOWN_NETNS_UNKNOWN"
  | "SHAKEDOWN_COMMAND_FAILED";

export class NetnsError extends Error {
  /** Marker shared with the engine's other errors, so generic `isChaosError` guards recognise it. */
  readonly isChaosError = true;
  constructor(
    readonly code: NetnsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Network namespaces cannot be used here (not root, not Linux, `ip` missing, or `ip netns add` refused). */
export class NetnsUnavailableError extends NetnsError {
  constructor(readonly reason: string) {
    super("SHAKEDOWN_NETNS_UNAVAILABLE", `network namespaces are unavailable: ${reason}`);
  }
}

/** A node name, network id or address plan that cannot become namespace and interface names. */
export class NetnsInvalidError extends NetnsError {
  constructor(problem: string) {
    super("SHAKEDOWN_NETNS_INVALID", `invalid host network: ${problem}`);
  }
}

/** A network or host that no state file records. */
export class NetnsUnknownError extends NetnsError {
  constructor(what: string, known: readonly string[]) {
    super("SHAKEDOWN_NETNS_UNKNOWN", `no ${what} is recorded (known: ${known.join(", ") || "none"})`);
  }
}

/** A command (`ip`, `nft`, `sysctl`) that exited non-zero; the message carries its arguments and stderr. */
export class CommandFailedError extends NetnsError {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      "SHAKEDOWN_COMMAND_FAILED",
      `${[command, ...args].join(" ")} exited with ${exitCode ?? "a signal"}: ${stderr.trim() || "(no output)"}`,
    );
  }
}

export function isNetnsError(error: unknown): error is NetnsError {
  return error instanceof NetnsError;
}
