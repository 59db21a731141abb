/** Every error the fault units raise on purpose, each with a stable code. */
export type FaultErrorCode =
  | "SHAKEDOWN_FAULT_TARGET"
  | "SHAKEDOWN_FAULT_CONFIG"
  | "SHAKEDOWN_FAULT_AGENT"
  | "SHAKEDOWN_FAULT_HEAL"
  | "SHAKEDOWN_FAULT_DETACHED"
  | "SHAKEDOWN_FAULT_REGISTRY";

export class FaultError extends Error {
  readonly isFaultError = true;
  constructor(
    readonly code: FaultErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export function isFaultError(error: unknown): error is FaultError {
  return typeof error === "object" && error !== null && (error as FaultError).isFaultError === true;
}

/** A target that names no running node of the topology: the run ends in error, never in a pass. */
export class TargetError extends FaultError {
  constructor(
    readonly target: unknown,
    problem: string,
  ) {
    super("SHAKEDOWN_FAULT_TARGET", `target ${JSON.stringify(target)}: ${problem}`);
  }
}

/** A config the unit's schema accepts but the unit cannot carry out (e.g. an unknown template placeholder). */
export class FaultConfigError extends FaultError {
  constructor(
    readonly fault: string,
    problem: string,
  ) {
    super("SHAKEDOWN_FAULT_CONFIG", `fault ${fault}: config ${problem}`);
  }
}

/** A node's agent control endpoint did not answer, or answered with an error. */
export class AgentControlError extends FaultError {
  constructor(
    readonly node: string,
    readonly port: number,
    request: string,
    problem: string,
  ) {
    super("SHAKEDOWN_FAULT_AGENT", `node ${node} (admin port ${port}): ${request} ${problem}`);
  }
}

/** A heal that ran but did not restore the node (a process still stopped, a fault still set). */
export class HealError extends FaultError {
  constructor(
    readonly node: string,
    problem: string,
  ) {
    super("SHAKEDOWN_FAULT_HEAL", `node ${node} was not healed: ${problem}`);
  }
}

/** A unit that needs the live topology (restart) was asked to act without one (in `recover`). */
export class DetachedError extends FaultError {
  constructor(readonly fault: string) {
    super("SHAKEDOWN_FAULT_DETACHED", `fault ${fault} needs the running topology, and there is none`);
  }
}

/** Two fault units under one name that cannot be told apart by their targets. */
export class RegistryError extends FaultError {
  constructor(problem: string) {
    super("SHAKEDOWN_FAULT_REGISTRY", `fault registry: ${problem}`);
  }
}
