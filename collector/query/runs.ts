import type Database from "better-sqlite3";
import { NotFoundError } from "../errors.js";
import type {
  ControlVerdict,
  FailingRequest,
  FaultWindow,
  Outcome,
  RunControl,
  RunPhaseName,
  RunSeries,
  StoredRunStatus,
} from "../store/runs.js";
import { statement } from "./statements.js";

/** Runs whose start lies in [startMs, endMs); a missing bound does not limit. */
export interface RunSearch {
  startMs?: number;
  endMs?: number;
  /** A case-insensitive substring of the experiment's file or title. */
  experiment?: string;
  limit: number;
}

export interface RunSummary {
  runId: string;
  groupId: string;
  title: string;
  file: string;
  control: RunControl | null;
  verdict: ControlVerdict | null;
  status: StoredRunStatus;
  reason: string | null;
  startMs: number;
  endMs: number | null;
  methodStartMs: number | null;
  methodEndMs: number | null;
  assertions: { total: number; passed: number; failed: number; unknown: number };
}

/** A run in full; here `assertions` lists the outcomes themselves rather than counting them. */
export interface RunDetail extends Omit<RunSummary, "assertions"> {
  description: string | null;
  phases: { name: RunPhaseName; startMs: number; endMs: number | null }[];
  faults: FaultWindow[];
  assertions: Outcome[];
  steadyState: { before: Outcome[]; after: Outcome[] };
  series: RunSeries[];
  failingRequests: FailingRequest[];
  related: RunSummary[];
}

type Integer = bigint | number;
const number = (value: Integer): number => Number(value);
const maybeNumber = (value: Integer | null): number | null => (value === null ? null : Number(value));

interface SummaryRow {
  runId: string;
  groupId: string;
  title: string;
  file: string;
  description: string | null;
  control: string | null;
  verdict: ControlVerdict | null;
  status: StoredRunStatus;
  reason: string | null;
  startMs: Integer;
  endMs: Integer | null;
  methodStartMs: Integer | null;
  methodEndMs: Integer | null;
  assertions: string;
}

const SUMMARY_COLUMNS = `r.run_id AS runId, r.group_id AS groupId, r.title, r.file, r.description, r.control,
  r.verdict, r.status, r.reason, r.start_ms AS startMs, r.end_ms AS endMs, r.method_start_ms AS methodStartMs,
  r.method_end_ms AS methodEndMs,
  (SELECT json_object('total', count(*), 'passed', coalesce(sum(o.valid = 'true'), 0),
     'failed', coalesce(sum(o.valid = 'false'), 0), 'unknown', coalesce(sum(o.valid = 'unknown'), 0))
   FROM run_outcomes o WHERE o.run_id = r.run_id AND o.stage = 'assertion') AS assertions`;

function summary(row: SummaryRow): RunSummary {
  return {
    runId: row.runId,
    groupId: row.groupId,
    title: row.title,
    file: row.file,
    control: row.control === null ? null : (JSON.parse(row.control) as RunControl),
    verdict: row.verdict,
    status: row.status,
    reason: row.reason,
    startMs: number(row.startMs),
    endMs: maybeNumber(row.endMs),
    methodStartMs: maybeNumber(row.methodStartMs),
    methodEndMs: maybeNumber(row.methodEndMs),
    assertions: JSON.parse(row.assertions),
  };
}

/** Runs newest first (by start), at most `limit`. */
export function listRuns(db: Database.Database, search: RunSearch): { runs: RunSummary[] } {
  const conditions: string[] = [];
  const args: unknown[] = [];
  if (search.startMs !== undefined) {
    conditions.push("r.start_ms >= ?");
    args.push(search.startMs);
  }
  if (search.endMs !== undefined) {
    conditions.push("r.start_ms < ?");
    args.push(search.endMs);
  }
  if (search.experiment !== undefined) {
    conditions.push("(instr(lower(r.title), lower(?)) > 0 OR instr(lower(r.file), lower(?)) > 0)");
    args.push(search.experiment, search.experiment);
  }
  const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
  const rows = statement<SummaryRow>(
    db,
    `SELECT ${SUMMARY_COLUMNS} FROM runs r ${where} ORDER BY r.start_ms DESC, r.run_id LIMIT ?`,
  ).all(...args, search.limit);
  return { runs: rows.map(summary) };
}

interface FaultRow {
  id: string;
  fault: string;
  target: string;
  config: string;
  scheduledAtMs: Integer;
  injectedAtMs: Integer | null;
  verifiedAtMs: Integer | null;
  healedAtMs: Integer | null;
  verification: string | null;
  error: string | null;
}

interface OutcomeRow {
  stage: "before" | "after" | "assertion";
  name: string;
  kind: string;
  description: string | null;
  windowLabel: string;
  windowStartMs: Integer | null;
  windowEndMs: Integer | null;
  valid: string;
  measured: number | null;
  unit: string;
  bar: string | null;
  reason: string | null;
  traceIds: string;
}

function outcome(row: OutcomeRow): Outcome {
  return {
    name: row.name,
    kind: row.kind,
    description: row.description,
    windowLabel: row.windowLabel,
    window:
      row.windowStartMs === null || row.windowEndMs === null
        ? null
        : { startMs: number(row.windowStartMs), endMs: number(row.windowEndMs) },
    valid: row.valid === "true" ? true : row.valid === "false" ? false : "unknown",
    measured: row.measured === null ? null : Number(row.measured),
    unit: row.unit,
    bar: row.bar === null ? null : JSON.parse(row.bar),
    reason: row.reason,
    traceIds: JSON.parse(row.traceIds),
  };
}

/** One run with its phases, fault windows, outcomes, ground-truth series, and the other runs of its group. */
export function getRun(db: Database.Database, runId: string): { run: RunDetail } {
  const row = statement<SummaryRow>(db, `SELECT ${SUMMARY_COLUMNS} FROM runs r WHERE r.run_id = ?`).get(
    runId,
  );
  if (row === undefined) throw new NotFoundError(`run ${runId}`);
  const phases = statement<{ name: RunPhaseName; startMs: Integer; endMs: Integer | null }>(
    db,
    `SELECT name, start_ms AS startMs, end_ms AS endMs FROM run_phases WHERE run_id = ?
     ORDER BY start_ms, CASE name WHEN 'steady-state-before' THEN 0 WHEN 'method' THEN 1 ELSE 2 END`,
  )
    .all(runId)
    .map((phase) => ({ name: phase.name, startMs: number(phase.startMs), endMs: maybeNumber(phase.endMs) }));
  const faults = statement<FaultRow>(
    db,
    `SELECT action_id AS id, fault, target, config, scheduled_at_ms AS scheduledAtMs,
       injected_at_ms AS injectedAtMs, verified_at_ms AS verifiedAtMs, healed_at_ms AS healedAtMs,
       verification, error
     FROM run_faults WHERE run_id = ? ORDER BY position`,
  )
    .all(runId)
    .map(
      (fault): FaultWindow => ({
        id: fault.id,
        fault: fault.fault,
        target: JSON.parse(fault.target),
        config: JSON.parse(fault.config),
        scheduledAtMs: number(fault.scheduledAtMs),
        injectedAtMs: maybeNumber(fault.injectedAtMs),
        verifiedAtMs: maybeNumber(fault.verifiedAtMs),
        healedAtMs: maybeNumber(fault.healedAtMs),
        verification: fault.verification,
        error: fault.error,
      }),
    );
  const outcomes = statement<OutcomeRow>(
    db,
    `SELECT stage, name, kind, description, window_label AS windowLabel, window_start_ms AS windowStartMs,
       window_end_ms AS windowEndMs, valid, measured, unit, bar, reason, trace_ids AS traceIds
     FROM run_outcomes WHERE run_id = ? ORDER BY stage, position`,
  ).all(runId);
  const ofStage = (stage: OutcomeRow["stage"]) => outcomes.filter((o) => o.stage === stage).map(outcome);
  const series = statement<{ name: string; unit: string; points: string }>(
    db,
    "SELECT name, unit, points FROM run_series WHERE run_id = ? ORDER BY position",
  )
    .all(runId)
    .map((s): RunSeries => ({ name: s.name, unit: s.unit, points: JSON.parse(s.points) }));
  const failingRequests = statement<{
    timeMs: Integer;
    status: Integer | null;
    latencyMs: number | null;
    traceId: string | null;
  }>(
    db,
    `SELECT time_ms AS timeMs, status, latency_ms AS latencyMs, trace_id AS traceId
     FROM run_failing_requests WHERE run_id = ? ORDER BY position`,
  )
    .all(runId)
    .map(
      (r): FailingRequest => ({
        timeMs: number(r.timeMs),
        status: maybeNumber(r.status),
        latencyMs: r.latencyMs === null ? null : Number(r.latencyMs),
        traceId: r.traceId,
      }),
    );
  const related = statement<SummaryRow>(
    db,
    `SELECT ${SUMMARY_COLUMNS} FROM runs r WHERE r.group_id = ? AND r.run_id <> ? ORDER BY r.start_ms, r.run_id`,
  )
    .all(row.groupId, runId)
    .map(summary);
  return {
    run: {
      ...summary(row),
      description: row.description,
      phases,
      faults,
      assertions: ofStage("assertion"),
      steadyState: { before: ofStage("before"), after: ofStage("after") },
      series,
      failingRequests,
      related,
    },
  };
}
