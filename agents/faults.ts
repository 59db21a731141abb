import { recordDecision } from "./decision.js";

/**
 * In-process faults, like feature-flag faults: a service asks `applyFault(operation)` at the start of each
 * operation, and the fault set through the control endpoint decides whether that operation is slowed down
 * or fails. Written by hand because fault injection is the subject of this workbench.
 */
export interface InProcessFault {
  /** Probability in [0, 1] that an affected operation fails. */
  errorRate: number;
  /** Delay added before an affected operation runs. */
  addedLatencyMillis: number;
  /** Uniform extra delay in [0, jitterMillis). */
  jitterMillis: number;
  /** Operation names affected (gRPC method or HTTP route); empty means every operation. */
  operations: string[];
}

export class InjectedFaultError extends Error {
  readonly code = "SHAKEDOWN_INJECTED_FAULT";
  readonly isInjectedFault = true;
  constructor(readonly operation: string) {
    super(`injected fault: ${operation} failed on purpose`);
    this.name = "InjectedFaultError";
  }
}

export function isInjectedFault(error: unknown): error is InjectedFaultError {
  return (
    typeof error === "object" && error !== null && (error as InjectedFaultError).isInjectedFault === true
  );
}

export class FaultValidationError extends Error {
  readonly code = "SHAKEDOWN_FAULT_INVALID";
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`fault field "${field}" ${problem}`);
    this.name = "FaultValidationError";
  }
}

/** Checks a fault given as JSON; every problem names its field. Missing fields take harmless defaults. */
export function parseFault(input: unknown): InProcessFault {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new FaultValidationError("(body)", "must be a JSON object");
  }
  const body = input as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!["errorRate", "addedLatencyMillis", "jitterMillis", "operations"].includes(key)) {
      throw new FaultValidationError(
        key,
        "is not a fault field (errorRate, addedLatencyMillis, jitterMillis, operations)",
      );
    }
  }
  const number = (field: string, max: number): number => {
    const value = body[field] ?? 0;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > max) {
      throw new FaultValidationError(
        field,
        `must be a number from 0 to ${max}, got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const operations = body.operations ?? [];
  if (!Array.isArray(operations) || !operations.every((o) => typeof o === "string" && o !== "")) {
    throw new FaultValidationError("operations", "must be a list of operation names");
  }
  return {
    errorRate: number("errorRate", 1),
    addedLatencyMillis: number("addedLatencyMillis", 600_000),
    jitterMillis: number("jitterMillis", 600_000),
    operations,
  };
}

let active: InProcessFault | null = null;

export function currentFault(): InProcessFault | null {
  return active;
}

export function setFault(fault: InProcessFault | null): void {
  active = fault;
}

const affects = (fault: InProcessFault, operation: string) =>
  fault.operations.length === 0 || fault.operations.includes(operation);

/**
 * Applies the active fault to one operation: waits the added latency, then fails with the configured
 * probability. Resolves at once when no fault affects the operation.
 */
export async function applyFault(operation: string, random: () => number = Math.random): Promise<void> {
  const fault = active;
  if (fault === null || !affects(fault, operation)) return;
  const delay = fault.addedLatencyMillis + (fault.jitterMillis > 0 ? random() * fault.jitterMillis : 0);
  if (delay > 0) {
    recordDecision(
      "fault",
      "delayed",
      { "shakedown.fault.delay_ms": Math.round(delay), "rpc.method": operation },
      { level: "debug" },
    );
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  if (fault.errorRate > 0 && random() < fault.errorRate) {
    recordDecision("fault", "failed", { "rpc.method": operation }, { level: "debug" });
    throw new InjectedFaultError(operation);
  }
}
