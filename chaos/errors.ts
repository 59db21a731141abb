/** Errors the chaos engine raises on purpose, each with a stable code. */
export type ChaosErrorCode =
  | "SHAKEDOWN_TOPOLOGY_INVALID"
  | "SHAKEDOWN_NODE_START_FAILED"
  | "SHAKEDOWN_NODE_UNKNOWN";

export class ChaosError extends Error {
  readonly isChaosError = true;
  constructor(
    readonly code: ChaosErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class TopologyError extends ChaosError {
  constructor(problem: string) {
    super("SHAKEDOWN_TOPOLOGY_INVALID", `topology is invalid: ${problem}`);
  }
}

export class NodeStartError extends ChaosError {
  constructor(
    readonly node: string,
    reason: string,
    readonly output: string,
  ) {
    super(
      "SHAKEDOWN_NODE_START_FAILED",
      `node ${node} did not start: ${reason}${output ? `\n${output}` : ""}`,
    );
  }
}

export class UnknownNodeError extends ChaosError {
  constructor(readonly node: string) {
    super("SHAKEDOWN_NODE_UNKNOWN", `no node named ${node} in this topology`);
  }
}

export function isChaosError(error: unknown): error is ChaosError {
  return typeof error === "object" && error !== null && (error as ChaosError).isChaosError === true;
}
