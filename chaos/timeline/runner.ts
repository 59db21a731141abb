import { randomUUID } from "node:crypto";
import { mergeValidity } from "../checkers/compose.js";
import type { History, Validity } from "../checkers/types.js";
import { assertionKinds } from "../experiment/assertions/registry.js";
import type { EvaluationContext } from "../experiment/assertions/types.js";
import { StepTimeoutError } from "../experiment/errors.js";
import { evaluateMeasurement, type MeasurementOutcome, notMeasured } from "../experiment/evaluate.js";
import type { FaultUnit, Injection, Verification } from "../experiment/fault-unit.js";
import type { Control, Experiment, FaultAction, Measurement } from "../experiment/types.js";
import { type RunTimes, resolveWindow } from "../experiment/windows.js";
import { type RunStatus, worstStatus } from "../journal/status.js";
import type { Engine, RunningLoad } from "./engine.js";
import { guardedObserver, noObserver, type RunObserver, type RunPhase } from "./observer.js";
import type {
  ControlOutcome,
  ControlVerdict,
  ExperimentReport,
  FaultWindow,
  RollbackOutcome,
  RunRecord,
  TimelineEvent,
} from "./record.js";
import { buildSchedule } from "./schedule.js";

/** Ends the method early with a status; thrown and caught inside the run loop only. */
class RunEnd extends Error {
  constructor(
    readonly status: "failed" | "error",
    readonly reason: string,
  ) {
    super(reason);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Active {
  readonly window: Mutable<FaultWindow>;
  readonly unit: FaultUnit;
  readonly injection: Injection;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One run of an experiment (or of one of its negative controls), as the Chaos Toolkit run loop does it. */
class Run {
  private readonly runId: string;
  private readonly groupId: string;
  private readonly signal: AbortSignal;
  private readonly events: TimelineEvent[] = [];
  private readonly errors: string[] = [];
  private readonly outcomes: { status: RunStatus; reason: string }[] = [];
  private readonly windows = new Map<string, Mutable<FaultWindow>>();
  private readonly active: Active[] = [];
  private readonly steadyState: { before: MeasurementOutcome[]; after: MeasurementOutcome[] } = {
    before: [],
    after: [],
  };
  private readonly rollbacks: RollbackOutcome[] = [];
  private assertionOutcomes: MeasurementOutcome[] = [];
  private readonly startedAtMillis: number;
  private methodStartedAtMillis: number | null = null;
  private methodEndedAtMillis: number | null = null;
  private load: RunningLoad | null = null;
  private history: Promise<History> | null = null;
  private phase: RunPhase | null = null;
  private readonly observer: RunObserver;

  constructor(
    private readonly experiment: Experiment,
    private readonly engine: Engine,
    private readonly control: Control | null,
    groupId: string | null,
  ) {
    this.runId = (engine.newRunId ?? randomUUID)();
    this.groupId = groupId ?? this.runId;
    this.signal = engine.signal ?? new AbortController().signal;
    this.startedAtMillis = engine.clock.now();
    this.observer = guardedObserver(engine.observer ?? noObserver, (call, error) =>
      this.event("observer-failed", undefined, `${call}: ${describe(error)}`),
    );
    for (const action of experiment.method) this.windows.set(action.id, this.newWindow(action));
  }

  private newWindow(action: FaultAction): Mutable<FaultWindow> {
    return {
      id: action.id,
      fault: action.fault,
      target: action.target,
      config: action.config,
      scheduledAtMillis: action.atMillis,
      injectedAtMillis: null,
      verifiedAtMillis: null,
      healedAtMillis: null,
      injection: null,
      verification: null,
      error: null,
    };
  }

  private now(): number {
    return this.engine.clock.now();
  }

  private enterPhase(phase: RunPhase): void {
    this.phase = phase;
    this.observer.phaseStarted(this.runId, phase, this.now());
  }

  private leavePhase(): void {
    if (this.phase === null) return;
    this.observer.phaseEnded(this.runId, this.phase, this.now());
    this.phase = null;
  }

  /** Tells the observer where a fault's life cycle is; a copy, since the window keeps changing. */
  private faultChanged(window: FaultWindow): void {
    this.observer.faultChanged(this.runId, { ...window });
  }

  private event(op: string, actionId?: string, detail?: string): void {
    this.events.push({
      timeMillis: this.now(),
      op,
      ...(actionId === undefined ? {} : { actionId }),
      ...(detail === undefined ? {} : { detail }),
    });
  }

  /** Races a step against the step deadline on the engine's clock, so a hung unit cannot hang the run. */
  private async bounded<T>(step: string, work: () => Promise<T>): Promise<T> {
    const limitMillis = this.engine.stepTimeoutMillis ?? 60_000;
    const timer = new AbortController();
    const deadline = this.engine.clock.sleep(limitMillis, timer.signal).then(
      () => Promise.reject(new StepTimeoutError(step, limitMillis)),
      () => new Promise<never>(() => {}),
    );
    try {
      return await Promise.race([work(), deadline]);
    } finally {
      timer.abort();
    }
  }

  private problem(status: RunStatus, reason: string): void {
    this.outcomes.push({ status, reason });
    if (status === "error" || status === "aborted") this.errors.push(reason);
  }

  private times(): RunTimes {
    const faults = Object.fromEntries(
      [...this.windows].map(([id, w]) => [
        id,
        { injectedAtMillis: w.injectedAtMillis, healedAtMillis: w.healedAtMillis },
      ]),
    );
    return {
      methodStartMillis: this.methodStartedAtMillis ?? this.startedAtMillis,
      methodEndMillis: this.methodEndedAtMillis ?? this.now(),
      faults,
    };
  }

  private context(): Omit<EvaluationContext, "window"> {
    return {
      times: this.times(),
      telemetry: this.engine.telemetry,
      http: this.engine.http,
      signal: this.signal,
      history: () => {
        this.history ??= this.engine.history.collect(this.times());
        return this.history;
      },
    };
  }

  private async measure(measurements: readonly Measurement[]): Promise<MeasurementOutcome[]> {
    const outcomes: MeasurementOutcome[] = [];
    for (const measurement of measurements) {
      const window = resolveWindow(measurement.window, this.times(), this.now());
      outcomes.push(await evaluateMeasurement(measurement, assertionKinds, window, this.context()));
    }
    return outcomes;
  }

  async execute(): Promise<RunRecord> {
    const { journal } = this.engine;
    journal.append({
      type: "run-started",
      runId: this.runId,
      title: this.experiment.title,
      file: this.experiment.file,
      timeMillis: this.startedAtMillis,
    });
    this.observer.runStarted({
      runId: this.runId,
      groupId: this.groupId,
      title: this.experiment.title,
      description: this.experiment.description,
      file: this.experiment.file,
      control: this.control,
      startedAtMillis: this.startedAtMillis,
      faults: [...this.windows.values()].map((window) => ({ ...window })),
    });
    const disabled: string[] = [];
    try {
      for (const name of this.control?.disable ?? []) {
        // Listed before the call: a switch that fails or times out half-way is still turned back on.
        disabled.push(name);
        this.event("disable-defense", undefined, name);
        await this.bounded(`turning off ${name}`, () => this.engine.switches.set(name, false));
      }
      await this.method();
    } catch (error) {
      this.leavePhase();
      if (this.signal.aborted) this.problem("aborted", `aborted: ${describe(this.signal.reason)}`);
      else if (error instanceof RunEnd) this.problem(error.status, error.reason);
      else this.problem("error", describe(error));
    } finally {
      await this.cleanUp();
    }
    try {
      if (this.methodEndedAtMillis !== null && !this.signal.aborted) await this.judge();
    } finally {
      // After judging: effects that land late (a held-back copy, a ledger catching up) belong to this run,
      // and for a negative control they must land with its defense still off.
      await this.restoreDefenses(disabled);
    }

    const status = worstStatus(...this.outcomes.map((outcome) => outcome.status));
    const reason = this.outcomes.find((outcome) => outcome.status === status)?.reason ?? null;
    if (this.assertionOutcomes.length < this.experiment.assertions.length) {
      const why = `not measured: the run ended as ${status}: ${reason}`;
      this.assertionOutcomes = this.experiment.assertions.map((a) => notMeasured(a, assertionKinds, why));
    }
    const endedAtMillis = this.now();
    journal.append({ type: "run-ended", runId: this.runId, status, timeMillis: endedAtMillis });
    const record: RunRecord = {
      runId: this.runId,
      title: this.experiment.title,
      file: this.experiment.file,
      control: this.control,
      status,
      reason,
      startedAtMillis: this.startedAtMillis,
      endedAtMillis,
      methodStartedAtMillis: this.methodStartedAtMillis,
      methodEndedAtMillis: this.methodEndedAtMillis,
      steadyState: this.steadyState,
      faults: [...this.windows.values()],
      assertions: this.assertionOutcomes,
      rollbacks: this.rollbacks,
      events: this.events,
      errors: this.errors,
    };
    this.observer.runEnded(record);
    return record;
  }

  private async method(): Promise<void> {
    for (const op of buildSchedule(this.experiment)) {
      if ("atMillis" in op) {
        const due = (this.methodStartedAtMillis as number) + op.atMillis;
        await this.engine.clock.sleep(due - this.now(), this.signal);
      }
      this.signal.throwIfAborted();
      switch (op.op) {
        case "check-steady-state":
          await this.checkSteadyState(op.phase);
          break;
        case "start-method":
          this.methodStartedAtMillis = this.now();
          this.event("start-method");
          this.enterPhase("method");
          break;
        case "start-load": {
          this.event("start-load");
          const load = await this.engine.load.start(
            this.experiment.load as NonNullable<Experiment["load"]>,
            this.signal,
          );
          // Observed now so a load that fails early is no unhandled rejection; await-load reports it.
          load.done.catch(() => {});
          this.load = load;
          break;
        }
        case "inject":
          await this.inject(
            this.experiment.method.find((action) => action.id === op.actionId) as FaultAction,
          );
          break;
        case "heal": {
          const active = this.active.find((entry) => entry.window.id === op.actionId);
          if (active !== undefined) await this.heal(active);
          break;
        }
        case "await-load":
          this.event("await-load");
          try {
            await this.load?.done;
          } catch (error) {
            throw new RunEnd("error", `the load failed: ${describe(error)}`);
          } finally {
            this.load = null;
          }
          break;
        case "end-method":
          this.methodEndedAtMillis = this.now();
          this.event("end-method");
          this.leavePhase();
          break;
      }
    }
  }

  private async checkSteadyState(phase: "before" | "after"): Promise<void> {
    this.event("check-steady-state", undefined, phase);
    this.enterPhase(`steady-state-${phase}`);
    const outcomes = await this.measure(this.experiment.steadyState.probes);
    this.steadyState[phase] = outcomes;
    this.leavePhase();
    const failing = outcomes.filter((outcome) => outcome.valid !== true);
    if (failing.length === 0) return;
    const names = failing.map((outcome) => `${outcome.name} (${outcome.reason ?? outcome.valid})`).join("; ");
    if (phase === "before") throw new RunEnd("error", `steady state not met before the method: ${names}`);
    this.problem("failed", `steady state not restored after the method: ${names}`);
  }

  private async inject(action: FaultAction): Promise<void> {
    const window = this.windows.get(action.id) as Mutable<FaultWindow>;
    const unit = this.engine.faults[action.fault];
    if (unit === undefined) throw new RunEnd("error", `no fault unit named "${action.fault}" is loaded`);
    const entry = { runId: this.runId, actionId: action.id };
    const what = `fault ${action.id} (${action.fault})`;
    this.engine.journal.append({
      type: "intent",
      ...entry,
      fault: action.fault,
      target: action.target,
      config: action.config,
      timeMillis: this.now(),
    });
    this.event("journal-intent", action.id);
    window.injectedAtMillis = this.now();
    this.event("inject", action.id);
    this.faultChanged(window);
    let injection: Injection;
    try {
      injection = await this.bounded(`inject of ${what}`, () =>
        unit.inject(action.target, action.config, this.signal),
      );
    } catch (error) {
      window.error = describe(error);
      this.faultChanged(window);
      if (error instanceof StepTimeoutError) {
        // The inject may still land after we stopped waiting: its intent stays pending for `recover`.
        throw new RunEnd("error", `${window.error}; run \`shakedown recover\``);
      }
      // A unit whose inject throws has undone its partial work (the FaultUnit contract): nothing to heal.
      this.engine.journal.append({ type: "healed", ...entry, timeMillis: this.now() });
      throw this.signal.aborted
        ? error
        : new RunEnd("error", `${what} could not be injected: ${window.error}`);
    }
    window.injection = injection;
    this.engine.journal.append({ type: "injected", ...entry, injection, timeMillis: this.now() });
    this.active.push({ window, unit, injection });
    this.event("verify", action.id);
    let verification: Verification;
    try {
      verification = await this.bounded(`verify of ${what}`, () => unit.verify(injection));
    } catch (error) {
      verification = { tookEffect: false, evidence: `verify threw: ${describe(error)}` };
    }
    window.verification = verification;
    window.verifiedAtMillis = this.now();
    this.faultChanged(window);
    if (!verification.tookEffect) {
      throw new RunEnd("error", `${what} did not take effect: ${verification.evidence}`);
    }
  }

  private async heal(active: Active): Promise<void> {
    this.event("heal", active.window.id);
    try {
      await this.bounded(`heal of fault ${active.window.id}`, () => active.unit.heal(active.injection));
    } catch (error) {
      active.window.error = `heal failed: ${describe(error)}`;
      this.faultChanged(active.window);
      throw new RunEnd(
        "error",
        `fault ${active.window.id} (${active.window.fault}) could not be healed: ${describe(error)}`,
      );
    }
    active.window.healedAtMillis = this.now();
    this.faultChanged(active.window);
    this.active.splice(this.active.indexOf(active), 1);
    this.engine.journal.append({
      type: "healed",
      runId: this.runId,
      actionId: active.window.id,
      timeMillis: this.now(),
    });
  }

  /** Always runs: heals what is still injected (newest first), stops the load, restores defenses, rolls back. */
  private async cleanUp(): Promise<void> {
    for (const active of [...this.active].reverse()) {
      try {
        await this.heal(active);
      } catch (error) {
        this.problem("error", `${describe(error)}; run \`shakedown recover\``);
      }
    }
    if (this.load !== null) {
      this.event("stop-load");
      await this.load
        .stop()
        .catch((error: unknown) => this.problem("error", `the load did not stop: ${describe(error)}`));
      this.load = null;
    }
  }

  private async restoreDefenses(disabled: readonly string[]): Promise<void> {
    for (const name of [...disabled].reverse()) {
      this.event("enable-defense", undefined, name);
      await this.bounded(`turning on ${name}`, () => this.engine.switches.set(name, true)).catch(
        (error: unknown) =>
          this.problem("error", `defense ${name} could not be turned back on: ${describe(error)}`),
      );
    }
    for (const rollback of this.experiment.rollbacks) {
      this.event("rollback", undefined, rollback.fault);
      const outcome = await this.rollback(rollback.fault, rollback.target, rollback.config);
      this.rollbacks.push(outcome);
      if (!outcome.ok) this.problem("error", `rollback ${rollback.fault} failed: ${outcome.detail}`);
    }
  }

  private async rollback(fault: string, target: FaultAction["target"], config: FaultAction["config"]) {
    const unit = this.engine.faults[fault];
    if (unit === undefined) return { fault, ok: false, detail: `no fault unit named "${fault}" is loaded` };
    try {
      // Rollbacks run even after an abort, so they get a signal of their own.
      const verification = await unit.verify(await unit.inject(target, config, new AbortController().signal));
      return { fault, ok: verification.tookEffect, detail: verification.evidence };
    } catch (error) {
      return { fault, ok: false, detail: describe(error) };
    }
  }

  /** Whether the engine brought the telemetry up to now into the collector, so the lag need not be waited. */
  private async flushedTelemetry(): Promise<boolean> {
    const flush = this.engine.flushTelemetry;
    if (flush === undefined) return false;
    this.event("flush-telemetry");
    try {
      await this.bounded("flushing the telemetry", flush);
      return true;
    } catch (error) {
      this.event("flush-telemetry-failed", undefined, `${describe(error)}; waiting out the telemetry lag`);
      return false;
    }
  }

  /** Measures the assertions once the method is over; false beats unknown beats true, as for checkers. */
  private async judge(): Promise<void> {
    const lag =
      this.experiment.assertions.length > 0 && !(await this.flushedTelemetry())
        ? (this.engine.telemetryLagMillis ?? 0)
        : 0;
    if (lag > 0) {
      try {
        await this.engine.clock.sleep(lag, this.signal);
      } catch {
        this.problem("aborted", `aborted: ${describe(this.signal.reason)}`);
        return;
      }
    }
    this.assertionOutcomes = await this.measure(this.experiment.assertions);
    const verdict: Validity = mergeValidity(this.assertionOutcomes.map((outcome) => outcome.valid));
    const names = (valid: Validity) =>
      this.assertionOutcomes
        .filter((outcome) => outcome.valid === valid)
        .map((outcome) => `${outcome.name} (${outcome.reason})`)
        .join("; ");
    if (verdict === false) this.problem("failed", `assertions failed: ${names(false)}`);
    else if (verdict === "unknown")
      this.problem("error", `assertions could not be judged: ${names("unknown")}`);
  }
}

/** One run; `groupId` ties a negative control's run to its experiment's run (by default the run's own id). */
export function runOnce(
  experiment: Experiment,
  engine: Engine,
  control: Control | null = null,
  groupId: string | null = null,
): Promise<RunRecord> {
  return new Run(experiment, engine, control, groupId).execute();
}

const VERDICTS: Readonly<Record<RunStatus, ControlVerdict>> = {
  failed: "failed-as-expected",
  passed: "passed-unexpectedly",
  error: "error",
  aborted: "aborted",
};

/** What a negative control's run status means for the control: it was meant to fail. */
export function controlVerdict(status: RunStatus): ControlVerdict {
  return VERDICTS[status];
}
const VERDICT_STATUS: Readonly<Record<ControlVerdict, RunStatus>> = {
  "failed-as-expected": "passed",
  "passed-unexpectedly": "failed",
  error: "error",
  aborted: "aborted",
  skipped: "aborted",
};

/** Tells the observer of a control that will not run, so a stored group lists every control. */
function reportSkipped(experiment: Experiment, engine: Engine, control: Control, groupId: string): void {
  if (engine.observer === undefined) return;
  // Nothing to record a failure in: the run this would belong to never happens. The observer reports its own.
  guardedObserver(engine.observer, () => {}).controlSkipped({
    runId: (engine.newRunId ?? randomUUID)(),
    groupId,
    title: experiment.title,
    description: experiment.description,
    file: experiment.file,
    control,
    timeMillis: engine.clock.now(),
    reason: "skipped: the experiment was aborted before this negative control ran",
  });
}

/**
 * Runs an experiment, then each negative control (the same experiment with defenses off). It passes when
 * the run passed and every control failed; a control that passes means the experiment has no teeth.
 */
export async function runExperiment(experiment: Experiment, engine: Engine): Promise<ExperimentReport> {
  const startedAtMillis = engine.clock.now();
  const run = await runOnce(experiment, engine);
  const controls: ControlOutcome[] = [];
  for (const control of experiment.controls) {
    if (engine.signal?.aborted) {
      controls.push({ control, verdict: "skipped", run: null });
      reportSkipped(experiment, engine, control, run.runId);
      continue;
    }
    const record = await runOnce(experiment, engine, control, run.runId);
    controls.push({ control, verdict: controlVerdict(record.status), run: record });
  }
  const status = worstStatus(run.status, ...controls.map((outcome) => VERDICT_STATUS[outcome.verdict]));
  const culprit = controls.find((outcome) => VERDICT_STATUS[outcome.verdict] === status);
  const reason =
    run.status === status || culprit === undefined
      ? run.reason
      : culprit.verdict === "passed-unexpectedly"
        ? `negative control "${culprit.control.name}" passed with ${culprit.control.disable.join(", ")} off`
        : `negative control "${culprit.control.name}": ${culprit.run?.reason ?? culprit.verdict}`;
  return {
    title: experiment.title,
    description: experiment.description,
    file: experiment.file,
    profile: experiment.profile,
    status,
    reason,
    startedAtMillis,
    endedAtMillis: engine.clock.now(),
    run,
    controls,
  };
}
