import type { GateSuiteReports } from "../report/junit.js";
import type { ControlVerdict, ExperimentReport } from "../timeline/record.js";
import type { GateCase } from "./suites.js";

/** What the gate found: per suite its cases' reports, the suites with no cases, and the one verdict. */
export interface GateResult {
  /** Every suite planned, those without cases included (JUnit shows them empty). */
  readonly suites: readonly GateSuiteReports[];
  readonly emptySuites: readonly string[];
  /** Cases planned but never reported (the run was aborted first). */
  readonly missing: readonly GateCase[];
  /** Every case ran, its experiment passed and every negative control failed as expected. */
  readonly passed: boolean;
}

/**
 * Puts the reports back under their suites, in the planned order. The gate passes only when every planned
 * case reported `passed`, which `runExperiment` gives only when the run passed and every control failed.
 */
export function judgeGate(
  planned: readonly { name: string; cases: readonly GateCase[] }[],
  reports: readonly ExperimentReport[],
): GateResult {
  const byFile = new Map(reports.map((report) => [report.file, report]));
  const missing: GateCase[] = [];
  const suites = planned.map((suite) => ({
    name: suite.name,
    cases: suite.cases.flatMap((gateCase) => {
      const report = byFile.get(gateCase.experiment.file);
      if (report === undefined) missing.push(gateCase);
      return report === undefined ? [] : [{ id: gateCase.id, report }];
    }),
  }));
  const ran = suites.flatMap((suite) => suite.cases);
  return {
    suites,
    emptySuites: planned.filter((suite) => suite.cases.length === 0).map((suite) => suite.name),
    missing,
    passed: missing.length === 0 && ran.length > 0 && ran.every((c) => c.report.status === "passed"),
  };
}

const CONTROL_WORDS: Readonly<Record<ControlVerdict, string>> = {
  "failed-as-expected": "failed as expected",
  "passed-unexpectedly": "PASSED (cannot see the defense)",
  error: "ERROR",
  aborted: "aborted",
  skipped: "skipped",
};

function seconds(millis: number): string {
  return `${(millis / 1000).toFixed(1)} s`;
}

export function formatWallTime(millis: number): string {
  const total = Math.round(millis / 1000);
  return total < 60 ? `${total} s` : `${Math.floor(total / 60)} min ${total % 60} s`;
}

/** The table `shakedown gate` prints: suite, case, verdict, control verdicts, wall time; then the verdict. */
export function summaryTable(result: GateResult, wallMillis: number): string {
  const rows = result.suites.flatMap((suite) =>
    suite.cases.map(({ id, report }) => [
      suite.name,
      id,
      report.run.status.toUpperCase(),
      report.controls.map((control) => CONTROL_WORDS[control.verdict]).join("; ") || "none",
      seconds(report.endedAtMillis - report.startedAtMillis),
    ]),
  );
  const header = ["suite", "case", "verdict", "negative controls", "wall time"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1
          ? cell.padStart(widths[column] as number)
          : cell.padEnd(widths[column] as number),
      )
      .join("  ");
  const cases = result.suites.flatMap((suite) => suite.cases);
  const controls = cases.flatMap((c) => c.report.controls);
  const lines = [line(header), ...rows.map(line)];
  if (result.emptySuites.length > 0) lines.push(`no cases yet: ${result.emptySuites.join(", ")}`);
  if (result.missing.length > 0) {
    lines.push(`not run (aborted): ${result.missing.map((c) => `${c.suite}/${c.id}`).join(", ")}`);
  }
  const passedCases = cases.filter((c) => c.report.run.status === "passed").length;
  const failedControls = controls.filter((c) => c.verdict === "failed-as-expected").length;
  lines.push(
    `gate ${result.passed ? "PASSED" : "FAILED"}: ${passedCases} of ${cases.length + result.missing.length} ` +
      `cases passed, ${failedControls} of ${controls.length} negative controls failed as expected ` +
      `(wall time ${formatWallTime(wallMillis)})`,
  );
  return lines.join("\n");
}
