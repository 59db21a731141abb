/**
 * How a run's outcome reads. A case passes or fails by its assertions; a negative control is judged the other
 * way round: it must fail with its defenses off, so "failed as expected" is the good verdict.
 */

import type { ControlVerdict, StoredRunStatus } from "../../../collector/store/runs.js";

export type Tone = "good" | "bad" | "warn" | "neutral" | "running";

export interface OutcomeLabel {
  label: string;
  tone: Tone;
}

const STATUS: Record<StoredRunStatus, OutcomeLabel> = {
  running: { label: "running", tone: "running" },
  passed: { label: "passed", tone: "good" },
  failed: { label: "failed", tone: "bad" },
  error: { label: "error", tone: "warn" },
  aborted: { label: "aborted", tone: "neutral" },
};

const VERDICT: Record<ControlVerdict, OutcomeLabel> = {
  "failed-as-expected": { label: "failed as expected", tone: "good" },
  "passed-unexpectedly": { label: "passed unexpectedly", tone: "bad" },
  error: { label: "error", tone: "warn" },
  aborted: { label: "aborted", tone: "neutral" },
  skipped: { label: "skipped", tone: "neutral" },
};

export function runOutcome(run: {
  control: object | null;
  status: StoredRunStatus;
  verdict: ControlVerdict | null;
}): OutcomeLabel {
  if (run.status === "running") return STATUS.running;
  if (run.control !== null && run.verdict !== null) return VERDICT[run.verdict];
  return STATUS[run.status];
}

/** What a measurement's validity reads as: Jepsen's true / false / unknown. */
export function validityOutcome(valid: boolean | "unknown"): OutcomeLabel {
  if (valid === true) return { label: "passed", tone: "good" };
  if (valid === false) return { label: "failed", tone: "bad" };
  return { label: "unknown", tone: "warn" };
}

/** "case", or the control's name with what it switches off. */
export function runRole(run: { control: { name: string } | null }): string {
  return run.control === null ? "case" : `control: ${run.control.name}`;
}
