/** Every error the chaos engine's core raises on purpose, each with a stable code. */
export type ChaosErrorCode =
  | "SHAKEDOWN_INVALID_EXPERIMENT"
  | "SHAKEDOWN_MALFORMED_HISTORY"
  | "SHAKEDOWN_MALFORMED_JOURNAL"
  | "SHAKEDOWN_UNKNOWN_FAULT"
  | "SHAKEDOWN_STEP_TIMEOUT";

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

export function isChaosError(error: unknown): error is ChaosError {
  return typeof error === "object" && error !== null && (error as ChaosError).isChaosError === true;
}

/** One thing wrong with an experiment file, located in its source (1-based line and column). */
export interface ExperimentProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted path of the field, e.g. `method[0].at`; empty for the document itself. */
  readonly field: string;
  readonly message: string;
}

export function formatProblem(problem: ExperimentProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.field === ""
    ? `${where} ${problem.message}`
    : `${where} ${problem.field}: ${problem.message}`;
}

/** An experiment file that cannot be run: every problem found, one `file:line:column field: problem` a line. */
export class ExperimentError extends ChaosError {
  constructor(readonly problems: readonly ExperimentProblem[]) {
    super("SHAKEDOWN_INVALID_EXPERIMENT", problems.map(formatProblem).join("\n"));
  }
}

export function isExperimentError(error: unknown): error is ExperimentError {
  return isChaosError(error) && error.code === "SHAKEDOWN_INVALID_EXPERIMENT";
}

/** A recorded history a checker cannot interpret (a completion without an invoke, a negative count). */
export class MalformedHistoryError extends ChaosError {
  constructor(problem: string) {
    super("SHAKEDOWN_MALFORMED_HISTORY", `malformed history: ${problem}`);
  }
}

/** A write-ahead journal line that is not a journal record (other than a torn last line). */
export class MalformedJournalError extends ChaosError {
  constructor(
    readonly path: string,
    readonly line: number,
    problem: string,
  ) {
    super("SHAKEDOWN_MALFORMED_JOURNAL", `${path}:${line}: ${problem}`);
  }
}

/** A journal or experiment names a fault no registered unit carries out. */
export class UnknownFaultError extends ChaosError {
  constructor(
    readonly fault: string,
    known: readonly string[],
  ) {
    super("SHAKEDOWN_UNKNOWN_FAULT", `no fault unit named "${fault}" (known: ${known.join(", ") || "none"})`);
  }
}

/** A step of a run (inject, verify, heal, a switch, starting the load) that did not finish in time. */
export class StepTimeoutError extends ChaosError {
  constructor(
    readonly step: string,
    readonly limitMillis: number,
  ) {
    super("SHAKEDOWN_STEP_TIMEOUT", `${step} took longer than ${limitMillis} ms`);
  }
}
