/** Every error the collector raises on purpose, each with a stable code the HTTP and gRPC layers map. */
export type CollectorErrorCode =
  | "SHAKEDOWN_BAD_DATA"
  | "SHAKEDOWN_BODY_TOO_LARGE"
  | "SHAKEDOWN_UNSUPPORTED_MEDIA_TYPE"
  | "SHAKEDOWN_SATURATED"
  | "SHAKEDOWN_SHUT_DOWN"
  | "SHAKEDOWN_WRITE_FAILED"
  | "SHAKEDOWN_INVALID_PARAMETER"
  | "SHAKEDOWN_NOT_FOUND";

export class CollectorError extends Error {
  readonly isCollectorError = true;
  constructor(
    readonly code: CollectorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The payload cannot be decoded or violates the OTLP model as a whole. */
export class BadDataError extends CollectorError {
  constructor(message: string) {
    super("SHAKEDOWN_BAD_DATA", message);
  }
}

export class BodyTooLargeError extends CollectorError {
  constructor(readonly limitBytes: number) {
    super("SHAKEDOWN_BODY_TOO_LARGE", `request body exceeds ${limitBytes} bytes after decompression`);
  }
}

export class UnsupportedMediaTypeError extends CollectorError {
  constructor(contentType: string) {
    super(
      "SHAKEDOWN_UNSUPPORTED_MEDIA_TYPE",
      `unsupported content type "${contentType}"; send application/x-protobuf or application/json`,
    );
  }
}

/** The writer has more pending work than it may hold; the client should retry after `retryAfterSeconds`. */
export class SaturatedError extends CollectorError {
  constructor(
    readonly pendingItems: number,
    readonly limitItems: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      "SHAKEDOWN_SATURATED",
      `collector saturated: ${pendingItems} items wait for commit (limit ${limitItems}); retry after ${retryAfterSeconds} s`,
    );
  }
}

export class ShutDownError extends CollectorError {
  constructor() {
    super("SHAKEDOWN_SHUT_DOWN", "collector is shutting down and accepts no more data");
  }
}

export class WriteFailedError extends CollectorError {
  constructor(reason: string) {
    super("SHAKEDOWN_WRITE_FAILED", `store write failed: ${reason}`);
  }
}

/** A query parameter that is malformed, out of range, or does not fit the data it selects. */
export class InvalidParameterError extends CollectorError {
  constructor(
    readonly parameter: string,
    readonly problem: string,
  ) {
    super("SHAKEDOWN_INVALID_PARAMETER", `parameter "${parameter}" ${problem}`);
  }
}

export class NotFoundError extends CollectorError {
  constructor(what: string) {
    super("SHAKEDOWN_NOT_FOUND", `${what} not found`);
  }
}

export function isCollectorError(error: unknown): error is CollectorError {
  return typeof error === "object" && error !== null && (error as CollectorError).isCollectorError === true;
}

/** How each error answers over HTTP, and the gRPC status code it carries (OTLP's retryable ones for overload). */
export const ERROR_STATUS: Readonly<Record<CollectorErrorCode, { http: number; grpc: number }>> = {
  SHAKEDOWN_BAD_DATA: { http: 400, grpc: 3 },
  SHAKEDOWN_BODY_TOO_LARGE: { http: 413, grpc: 8 },
  SHAKEDOWN_UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: 3 },
  SHAKEDOWN_SATURATED: { http: 429, grpc: 14 },
  SHAKEDOWN_SHUT_DOWN: { http: 503, grpc: 14 },
  SHAKEDOWN_WRITE_FAILED: { http: 503, grpc: 14 },
  SHAKEDOWN_INVALID_PARAMETER: { http: 400, grpc: 3 },
  SHAKEDOWN_NOT_FOUND: { http: 404, grpc: 5 },
};
