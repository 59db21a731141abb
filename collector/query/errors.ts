/**
 * Every failure the query layer reports on purpose, coded like the collector's own errors; the HTTP layer maps
 * each code to a status in one table.
 */
export type QueryErrorCode = "SHAKEDOWN_INVALID_PARAMETER" | "SHAKEDOWN_NOT_FOUND";

export class QueryError extends Error {
  readonly isQueryError = true;

  constructor(
    readonly code: QueryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request parameter that is malformed, out of range, or does not fit the data it selects. */
export class InvalidParameterError extends QueryError {
  constructor(
    readonly parameter: string,
    readonly problem: string,
  ) {
    super("SHAKEDOWN_INVALID_PARAMETER", `parameter "${parameter}" ${problem}`);
  }
}

export class NotFoundError extends QueryError {
  constructor(what: string) {
    super("SHAKEDOWN_NOT_FOUND", `${what} not found`);
  }
}

export function isQueryError(error: unknown): error is QueryError {
  return (
    typeof error === "object" && error !== null && (error as { isQueryError?: unknown }).isQueryError === true
  );
}
