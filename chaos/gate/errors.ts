/** The gate cannot run as set up: an unknown suite, an empty one asked for, a case without a control. */
export class GateSetupError extends Error {
  readonly code = "SHAKEDOWN_GATE_SETUP";
  readonly isGateSetupError = true;
  override name = "GateSetupError";
}

export function isGateSetupError(error: unknown): error is GateSetupError {
  return typeof error === "object" && error !== null && (error as GateSetupError).isGateSetupError === true;
}
