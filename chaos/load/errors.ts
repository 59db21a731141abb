/** Every error the load drivers raise on purpose, each with a stable code. */
export type LoadErrorCode =
  | "SHAKEDOWN_LOAD_NOT_LOOPBACK"
  | "SHAKEDOWN_LOAD_K6_FAILED"
  | "SHAKEDOWN_LOAD_LOGIN_FAILED"
  | "SHAKEDOWN_LOAD_UNSUPPORTED";

export class LoadError extends Error {
  readonly isLoadError = true;
  constructor(
    readonly code: LoadErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export function isLoadError(error: unknown): error is LoadError {
  return typeof error === "object" && error !== null && (error as LoadError).isLoadError === true;
}

/** Load goes only to this machine's loopback: a target elsewhere is refused before anything is sent. */
export class NotLoopbackError extends LoadError {
  constructor(readonly url: string) {
    super(
      "SHAKEDOWN_LOAD_NOT_LOOPBACK",
      `refusing to send load to ${url}: only 127.0.0.1, ::1 and localhost are allowed`,
    );
  }
}

export class K6Error extends LoadError {
  constructor(
    readonly exitCode: number | null,
    output: string,
  ) {
    super(
      "SHAKEDOWN_LOAD_K6_FAILED",
      exitCode === null ? output : `k6 exited with ${exitCode}${output ? `:\n${output}` : ""}`,
    );
  }
}

/** A load of a type no driver of this engine runs. */
export class UnsupportedLoadError extends LoadError {
  constructor(readonly type: string) {
    super("SHAKEDOWN_LOAD_UNSUPPORTED", `no load driver runs "${type}" loads here`);
  }
}

/** A flood's login did not give a token, so its requests would all be refused: the load never starts. */
export class LoginError extends LoadError {
  constructor(
    readonly url: string,
    problem: string,
  ) {
    super("SHAKEDOWN_LOAD_LOGIN_FAILED", `the flood's login at ${url} ${problem}`);
  }
}
