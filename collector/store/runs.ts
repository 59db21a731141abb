import type Database from "better-sqlite3";
import { openDatabase } from "./schema.js";

/**
 * Experiment runs as the collector stores and serves them. The chaos engine writes them live through a
 * RunStore, beside the collector's own writer thread: a run is a handful of small transactions, so a second
 * connection waiting its turn in WAL mode costs the telemetry writer nothing noticeable. Times are Unix epoch
 * milliseconds.
 */

export type StoredRunStatus = "running" | "passed" | "failed" | "error" | "aborted";
export type FinalRunStatus = Exclude<StoredRunStatus, "running">;

/** A negative control's verdict: it must fail; "skipped" when the experiment was aborted before it. */
export type ControlVerdict = "failed-as-expected" | "passed-unexpectedly" | "error" | "aborted" | "skipped";

export type RunPhaseName = "steady-state-before" | "method" | "steady-state-after";

export interface RunControl {
  readonly name: string;
  readonly description: string | null;
  readonly disable: readonly string[];
}

/** One fault of a run's method and how far its life cycle got (null: not reached). */
export interface FaultWindow {
  readonly id: string;
  readonly fault: string;
  readonly target: object;
  readonly config: object;
  /** When the schedule wanted it, after the method's start. */
  readonly scheduledAtMs: number;
  readonly injectedAtMs: number | null;
  readonly verifiedAtMs: number | null;
  readonly healedAtMs: number | null;
  /** What verify observed ("pid 4121 gone"). */
  readonly verification: string | null;
  readonly error: string | null;
}

/** A steady-state probe's or an assertion's result. */
export interface Outcome {
  readonly name: string;
  readonly kind: string;
  readonly description: string | null;
  readonly windowLabel: string;
  readonly window: { readonly startMs: number; readonly endMs: number } | null;
  readonly valid: true | false | "unknown";
  readonly measured: number | null;
  readonly unit: string;
  readonly bar: { readonly min?: number; readonly max?: number } | null;
  readonly reason: string | null;
  readonly traceIds: readonly string[];
}

/** Ground truth drawn beside a run: throughput, errors, latency per step, from the load's own records. */
export interface RunSeries {
  readonly name: string;
  readonly unit: string;
  readonly points: readonly { readonly t: number; readonly v: number }[];
}

export interface FailingRequest {
  readonly timeMs: number;
  /** Null when no response came back. */
  readonly status: number | null;
  readonly latencyMs: number | null;
  readonly traceId: string | null;
}

/** The process that writes a run: while it lives the run may be running; once gone, the run was aborted. */
export interface RunOwner {
  readonly pid: number;
  /** The kernel's start time of the process, so a reused PID is not taken for the owner. */
  readonly startTicks: string;
}

export interface RunStart {
  readonly runId: string;
  /** Shared by an experiment's run and its negative controls' runs. */
  readonly groupId: string;
  readonly title: string;
  readonly file: string;
  readonly description: string | null;
  readonly control: RunControl | null;
  readonly startMs: number;
  /** The method's faults as planned; their times fill in as the run goes. */
  readonly faults: readonly FaultWindow[];
}

export interface RunEnd {
  readonly runId: string;
  readonly status: FinalRunStatus;
  /** Null for a run that is no negative control. */
  readonly verdict: ControlVerdict | null;
  readonly reason: string | null;
  readonly endMs: number;
  readonly methodStartMs: number | null;
  readonly methodEndMs: number | null;
  readonly faults: readonly FaultWindow[];
  readonly assertions: readonly Outcome[];
  readonly steadyState: { readonly before: readonly Outcome[]; readonly after: readonly Outcome[] };
  readonly series: readonly RunSeries[];
  readonly failingRequests: readonly FailingRequest[];
}

/** A negative control that never ran, because the experiment was aborted before it. */
export interface SkippedControl {
  readonly runId: string;
  readonly groupId: string;
  readonly title: string;
  readonly file: string;
  readonly description: string | null;
  readonly control: RunControl;
  readonly timeMs: number;
  readonly reason: string;
}

type OutcomeStage = "before" | "after" | "assertion";

const json = (value: unknown): string => JSON.stringify(value);

/** Only the fields the API promises, whatever else the caller's control object carries. */
const controlJson = (control: RunControl): string =>
  json({ name: control.name, description: control.description, disable: control.disable });

/** Writes runs into a Shakedown database as they happen; every method is one transaction. */
export class RunStore {
  private readonly insertRun: Database.Statement;
  private readonly upsertFault: Database.Statement;
  private readonly startPhase: Database.Statement;
  private readonly endPhase: Database.Statement;
  private readonly setMethodStart: Database.Statement;
  private readonly setMethodEnd: Database.Statement;
  private readonly finishRun: Database.Statement;
  private readonly closePhases: Database.Statement;
  private readonly insertOutcome: Database.Statement;
  private readonly insertSeries: Database.Statement;
  private readonly insertRequest: Database.Statement;
  private readonly deleteDetail: Database.Statement[];
  private readonly runningRuns: Database.Statement<
    [],
    { runId: string; pid: number | null; ticks: string | null }
  >;
  private readonly abortRun: Database.Statement;
  private readonly nextFaultPosition: Database.Statement<[string], { next: number }>;

  constructor(
    private readonly db: Database.Database,
    private readonly owner: RunOwner | null = null,
  ) {
    this.insertRun = db.prepare(
      `INSERT INTO runs (run_id, group_id, title, file, description, control, status, verdict, reason, start_ms,
         end_ms, method_start_ms, method_end_ms, engine_pid, engine_start_ticks)
       VALUES (@runId, @groupId, @title, @file, @description, @control, @status, @verdict, @reason, @startMs,
         @endMs, NULL, NULL, @pid, @ticks)`,
    );
    this.upsertFault = db.prepare(
      `INSERT INTO run_faults (run_id, position, action_id, fault, target, config, scheduled_at_ms, injected_at_ms,
         verified_at_ms, healed_at_ms, verification, error)
       VALUES (@runId, @position, @id, @fault, @target, @config, @scheduledAtMs, @injectedAtMs, @verifiedAtMs,
         @healedAtMs, @verification, @error)
       ON CONFLICT (run_id, action_id) DO UPDATE SET injected_at_ms = excluded.injected_at_ms,
         verified_at_ms = excluded.verified_at_ms, healed_at_ms = excluded.healed_at_ms,
         verification = excluded.verification, error = excluded.error`,
    );
    this.startPhase = db.prepare(
      `INSERT INTO run_phases (run_id, name, start_ms, end_ms) VALUES (?, ?, ?, NULL)
       ON CONFLICT (run_id, name) DO UPDATE SET start_ms = excluded.start_ms, end_ms = NULL`,
    );
    this.endPhase = db.prepare("UPDATE run_phases SET end_ms = ? WHERE run_id = ? AND name = ?");
    this.setMethodStart = db.prepare("UPDATE runs SET method_start_ms = ? WHERE run_id = ?");
    this.setMethodEnd = db.prepare("UPDATE runs SET method_end_ms = ? WHERE run_id = ?");
    this.finishRun = db.prepare(
      `UPDATE runs SET status = @status, verdict = @verdict, reason = @reason, end_ms = @endMs,
         method_start_ms = @methodStartMs, method_end_ms = @methodEndMs WHERE run_id = @runId`,
    );
    this.closePhases = db.prepare("UPDATE run_phases SET end_ms = ? WHERE run_id = ? AND end_ms IS NULL");
    this.insertOutcome = db.prepare(
      `INSERT INTO run_outcomes (run_id, stage, position, name, kind, description, window_label, window_start_ms,
         window_end_ms, valid, measured, unit, bar, reason, trace_ids)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertSeries = db.prepare(
      "INSERT INTO run_series (run_id, position, name, unit, points) VALUES (?, ?, ?, ?, ?)",
    );
    this.insertRequest = db.prepare(
      `INSERT INTO run_failing_requests (run_id, position, time_ms, status, latency_ms, trace_id)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.deleteDetail = ["run_outcomes", "run_series", "run_failing_requests"].map((table) =>
      db.prepare(`DELETE FROM ${table} WHERE run_id = ?`),
    );
    this.runningRuns = db.prepare(
      "SELECT run_id AS runId, engine_pid AS pid, engine_start_ticks AS ticks FROM runs WHERE status = 'running'",
    );
    this.abortRun = db.prepare(
      "UPDATE runs SET status = 'aborted', reason = ?, end_ms = ? WHERE run_id = ? AND status = 'running'",
    );
    this.nextFaultPosition = db.prepare(
      "SELECT coalesce(max(position) + 1, 0) AS next FROM run_faults WHERE run_id = ?",
    );
  }

  /** A run began: its row says "running" until `finish`. */
  start(run: RunStart): void {
    this.db.transaction(() => {
      this.insertRun.run({
        runId: run.runId,
        groupId: run.groupId,
        title: run.title,
        file: run.file,
        description: run.description,
        control: run.control === null ? null : controlJson(run.control),
        status: "running",
        verdict: null,
        reason: null,
        startMs: run.startMs,
        endMs: null,
        pid: this.owner?.pid ?? null,
        ticks: this.owner?.startTicks ?? null,
      });
      for (const [position, fault] of run.faults.entries()) this.writeFault(run.runId, fault, position);
    })();
  }

  phaseStarted(runId: string, name: RunPhaseName, startMs: number): void {
    this.db.transaction(() => {
      this.startPhase.run(runId, name, startMs);
      if (name === "method") this.setMethodStart.run(startMs, runId);
    })();
  }

  phaseEnded(runId: string, name: RunPhaseName, endMs: number): void {
    this.db.transaction(() => {
      this.endPhase.run(endMs, runId, name);
      if (name === "method") this.setMethodEnd.run(endMs, runId);
    })();
  }

  /** A fault was injected, verified, healed, or failed at one of those. */
  fault(runId: string, window: FaultWindow): void {
    this.writeFault(runId, window, null);
  }

  /** The run is over: its status and everything it measured replace what was written live. */
  finish(end: RunEnd): void {
    this.db.transaction(() => {
      const { changes } = this.finishRun.run({
        runId: end.runId,
        status: end.status,
        verdict: end.verdict,
        reason: end.reason,
        endMs: end.endMs,
        methodStartMs: end.methodStartMs,
        methodEndMs: end.methodEndMs,
      });
      if (changes === 0) throw new Error(`run ${end.runId} was never started in this database`);
      this.closePhases.run(end.endMs, end.runId);
      for (const [position, fault] of end.faults.entries()) this.writeFault(end.runId, fault, position);
      for (const statement of this.deleteDetail) statement.run(end.runId);
      const stages: [OutcomeStage, readonly Outcome[]][] = [
        ["before", end.steadyState.before],
        ["after", end.steadyState.after],
        ["assertion", end.assertions],
      ];
      for (const [stage, outcomes] of stages) {
        for (const [position, outcome] of outcomes.entries()) {
          this.writeOutcome(end.runId, stage, position, outcome);
        }
      }
      for (const [position, series] of end.series.entries()) {
        this.insertSeries.run(end.runId, position, series.name, series.unit, json(series.points));
      }
      for (const [position, request] of end.failingRequests.entries()) {
        const { timeMs, status, latencyMs, traceId } = request;
        this.insertRequest.run(end.runId, position, timeMs, status, latencyMs, traceId);
      }
    })();
  }

  /** Records a negative control that never ran, so the group shows every control the experiment has. */
  skipped(control: SkippedControl): void {
    this.insertRun.run({
      runId: control.runId,
      groupId: control.groupId,
      title: control.title,
      file: control.file,
      description: control.description,
      control: controlJson(control.control),
      status: "aborted",
      verdict: "skipped",
      reason: control.reason,
      startMs: control.timeMs,
      endMs: control.timeMs,
      pid: this.owner?.pid ?? null,
      ticks: this.owner?.startTicks ?? null,
    });
  }

  /**
   * Marks "running" runs whose engine is gone as aborted (the engine crashed or was killed). `isAlive` answers
   * whether the owner process still runs; a run without a recorded owner cannot be judged and is left alone.
   * Returns the ids of the runs it aborted.
   */
  abortOrphans(isAlive: (owner: RunOwner) => boolean, nowMs: number): string[] {
    return this.db.transaction(() => {
      const aborted: string[] = [];
      for (const row of this.runningRuns.all()) {
        if (row.pid === null || row.ticks === null) continue;
        const owner = { pid: row.pid, startTicks: row.ticks };
        if (isAlive(owner)) continue;
        this.abortRun.run(
          `aborted: the engine (pid ${owner.pid}) ended without finishing the run`,
          nowMs,
          row.runId,
        );
        this.closePhases.run(nowMs, row.runId);
        aborted.push(row.runId);
      }
      return aborted;
    })();
  }

  close(): void {
    this.db.close();
  }

  private writeFault(runId: string, window: FaultWindow, position: number | null): void {
    this.upsertFault.run({
      runId,
      // Live updates of an existing row keep its position; only a fault never seen before takes the next one.
      position: position ?? (this.nextFaultPosition.get(runId) as { next: number }).next,
      id: window.id,
      fault: window.fault,
      target: json(window.target),
      config: json(window.config),
      scheduledAtMs: window.scheduledAtMs,
      injectedAtMs: window.injectedAtMs,
      verifiedAtMs: window.verifiedAtMs,
      healedAtMs: window.healedAtMs,
      verification: window.verification,
      error: window.error,
    });
  }

  private writeOutcome(runId: string, stage: OutcomeStage, position: number, outcome: Outcome): void {
    this.insertOutcome.run(
      runId,
      stage,
      position,
      outcome.name,
      outcome.kind,
      outcome.description,
      outcome.windowLabel,
      outcome.window?.startMs ?? null,
      outcome.window?.endMs ?? null,
      String(outcome.valid),
      outcome.measured,
      outcome.unit,
      outcome.bar === null ? null : json(outcome.bar),
      outcome.reason,
      json(outcome.traceIds),
    );
  }
}

/**
 * Opens the run store of the database at `path`, creating the file and its schema when the collector has not
 * (yet): a run keeps its record even where no collector runs. Waits up to `busyTimeoutMillis` for the
 * collector's writer to finish a transaction.
 */
export function openRunStore(
  path: string,
  options: { owner?: RunOwner; busyTimeoutMillis?: number } = {},
): RunStore {
  const db = openDatabase(path);
  db.pragma(`busy_timeout = ${options.busyTimeoutMillis ?? 10_000}`);
  return new RunStore(db, options.owner ?? null);
}
