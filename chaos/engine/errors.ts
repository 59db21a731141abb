/** Every error the engine's wiring raises on purpose, each with a stable code. */
export type EngineErrorCode =
  | "SHAKEDOWN_ENGINE_NO_SERVICE"
  | "SHAKEDOWN_ENGINE_NO_SWITCH"
  | "SHAKEDOWN_ENGINE_BUSY"
  | "SHAKEDOWN_ENGINE_STATE_IN_USE"
  | "SHAKEDOWN_ENGINE_NO_LAUNCHER"
  | "SHAKEDOWN_ENGINE_NO_TELEMETRY";

export class EngineError extends Error {
  readonly isEngineError = true;
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export function isEngineError(error: unknown): error is EngineError {
  return typeof error === "object" && error !== null && (error as EngineError).isEngineError === true;
}

/** A request for a service no running node serves over HTTP. */
export class NoServiceError extends EngineError {
  constructor(
    readonly service: string,
    known: readonly string[],
  ) {
    super(
      "SHAKEDOWN_ENGINE_NO_SERVICE",
      `no running node of service ${service} has an http port (services with one: ${known.join(", ") || "none"})`,
    );
  }
}

/** A negative control names a defense switch no running node has. */
export class NoSwitchError extends EngineError {
  constructor(
    readonly switchName: string,
    known: readonly string[],
  ) {
    super(
      "SHAKEDOWN_ENGINE_NO_SWITCH",
      `no running node has a defense switch named ${switchName} (switches: ${known.join(", ") || "none"})`,
    );
  }
}

/** Another engine (a live `shakedown up`, `demo`, `run` or `recover`) holds the run state directory. */
export class EngineBusyError extends EngineError {
  constructor(
    readonly lockPath: string,
    readonly pid: number,
    /** The holder's command, e.g. `shakedown up`; null when its lock does not say. */
    readonly command: string | null,
  ) {
    super(
      "SHAKEDOWN_ENGINE_BUSY",
      `another shakedown engine (${command === null ? "" : `${command}, `}pid ${pid}) is using ${lockPath}; stop it or wait for it to end`,
    );
  }
}

/** The run state directory holds processes of a live engine that is not a run (`shakedown up`). */
export class StateInUseError extends EngineError {
  constructor(readonly stateDir: string) {
    super(
      "SHAKEDOWN_ENGINE_STATE_IN_USE",
      `${stateDir} is in use by a running engine (shakedown up?); stop it or pass --state-dir`,
    );
  }
}

/** The topology module cannot be loaded or exports no `launchTopology`. */
export class LauncherError extends EngineError {
  constructor(
    readonly modulePath: string,
    problem: string,
  ) {
    super("SHAKEDOWN_ENGINE_NO_LAUNCHER", `topology module ${modulePath} ${problem}`);
  }
}

/** An assertion asked for telemetry, and there is no collector database to answer it. */
export class NoTelemetryError extends EngineError {
  constructor(readonly path: string) {
    super(
      "SHAKEDOWN_ENGINE_NO_TELEMETRY",
      `no collector database at ${path}: start the collector (shakedown collector) or pass --db FILE`,
    );
  }
}
