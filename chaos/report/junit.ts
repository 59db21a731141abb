import { formatBar, type MeasurementOutcome } from "../experiment/evaluate.js";
import type { ControlOutcome, ExperimentReport, RunRecord } from "../timeline/record.js";
import { xmlAttribute, xmlText } from "./escape.js";

interface TestCase {
  name: string;
  timeSeconds: number;
  result:
    | { kind: "passed"; note?: string }
    | { kind: "failure" | "error" | "skipped"; message: string; detail?: string };
}

function measuredText(outcome: MeasurementOutcome): string {
  if (outcome.bar === null) return outcome.reason ?? String(outcome.valid);
  // A time that never came (never recovered) is judged without a value: the reason says what was seen.
  if (outcome.measured === null && outcome.reason !== null)
    return `${outcome.reason}, bar ${formatBar(outcome.bar, outcome.unit)}`;
  return `measured ${outcome.measured ?? "nothing"}${outcome.unit && outcome.unit !== "ratio" ? ` ${outcome.unit}` : ""}, bar ${formatBar(outcome.bar, outcome.unit)}`;
}

function assertionCase(outcome: MeasurementOutcome, run: RunRecord): TestCase {
  const name = outcome.windowLabel === "" ? outcome.name : `${outcome.name} [${outcome.windowLabel}]`;
  const detail = JSON.stringify({ ...outcome.details, traceIds: outcome.traceIds }, null, 2);
  if (outcome.valid === true)
    return { name, timeSeconds: 0, result: { kind: "passed", note: measuredText(outcome) } };
  if (outcome.valid === false) {
    const message = outcome.bar === null ? (outcome.reason ?? "not valid") : measuredText(outcome);
    return { name, timeSeconds: 0, result: { kind: "failure", message, detail } };
  }
  if (run.status === "aborted")
    return { name, timeSeconds: 0, result: { kind: "skipped", message: outcome.reason ?? "aborted" } };
  return {
    name,
    timeSeconds: 0,
    result: { kind: "error", message: `could not be judged: ${outcome.reason}`, detail },
  };
}

function steadyStateCase(run: RunRecord): TestCase | null {
  const { before, after } = run.steadyState;
  if (before.length === 0 && after.length === 0) return null;
  const name = "steady-state hypothesis";
  const failing = (outcomes: readonly MeasurementOutcome[]) =>
    outcomes
      .filter((outcome) => outcome.valid !== true)
      .map((outcome) => `${outcome.name}: ${outcome.reason}`)
      .join("; ");
  if (failing(before) !== "")
    return {
      name,
      timeSeconds: 0,
      result: { kind: "error", message: `not met before the method: ${failing(before)}` },
    };
  if (failing(after) !== "")
    return {
      name,
      timeSeconds: 0,
      result: { kind: "failure", message: `not restored after the method: ${failing(after)}` },
    };
  return { name, timeSeconds: 0, result: { kind: "passed" } };
}

const RUN_RESULT = {
  passed: () => ({ kind: "passed" }) as const,
  failed: (reason: string) => ({ kind: "failure", message: reason }) as const,
  error: (reason: string) => ({ kind: "error", message: reason }) as const,
  aborted: (reason: string) => ({ kind: "skipped", message: reason }) as const,
};

/** The steady state, each assertion, and the run itself when its status shows nowhere else. */
function runCases(run: RunRecord): TestCase[] {
  const steady = steadyStateCase(run);
  const cases = [
    ...(steady === null ? [] : [steady]),
    ...run.assertions.map((outcome) => assertionCase(outcome, run)),
  ];
  const shown = cases.some((testCase) => testCase.result.kind !== "passed");
  if (cases.length === 0 || (run.status !== "passed" && !shown)) {
    const seconds = (run.endedAtMillis - run.startedAtMillis) / 1000;
    cases.push({
      name: "run",
      timeSeconds: seconds,
      result: RUN_RESULT[run.status](run.reason ?? run.status),
    });
  }
  return cases;
}

function controlCase(outcome: ControlOutcome): TestCase {
  const name = `negative control: ${outcome.control.name}`;
  const run = outcome.run;
  const timeSeconds = run === null ? 0 : (run.endedAtMillis - run.startedAtMillis) / 1000;
  const off = outcome.control.disable.join(", ");
  switch (outcome.verdict) {
    case "failed-as-expected":
      return {
        name,
        timeSeconds,
        result: {
          kind: "passed",
          note: `negative control failed as expected with ${off} off: ${run?.reason}`,
        },
      };
    case "passed-unexpectedly":
      return {
        name,
        timeSeconds,
        result: {
          kind: "failure",
          message: `negative control passed with ${off} off: the experiment cannot tell whether the defense works`,
        },
      };
    case "error":
      return { name, timeSeconds, result: { kind: "error", message: run?.reason ?? "error" } };
    default:
      return { name, timeSeconds, result: { kind: "skipped", message: outcome.verdict } };
  }
}

function testCaseXml(classname: string, testCase: TestCase): string {
  const open = `    <testcase classname="${xmlAttribute(classname)}" name="${xmlAttribute(testCase.name)}" time="${testCase.timeSeconds.toFixed(3)}"`;
  const result = testCase.result;
  if (result.kind === "passed") {
    return result.note === undefined
      ? `${open}/>`
      : `${open}>\n      <system-out>${xmlText(result.note)}</system-out>\n    </testcase>`;
  }
  const body = result.detail === undefined ? "" : xmlText(result.detail);
  const type = result.kind === "failure" ? ` type="assertion"` : "";
  return `${open}>\n      <${result.kind} message="${xmlAttribute(result.message)}"${type}>${body}</${result.kind}>\n    </testcase>`;
}

/**
 * JUnit XML, the format CI systems read: one test suite per experiment, one test case per assertion and per
 * negative control. A control that failed as expected is a passing case with a note in `<system-out>`.
 */
export function junitXml(reports: readonly ExperimentReport[]): string {
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  const suites = reports.map((report) => {
    const cases = [...runCases(report.run), ...report.controls.map(controlCase)];
    const count = (kind: string) => cases.filter((c) => c.result.kind === kind).length;
    const suite = {
      tests: cases.length,
      failures: count("failure"),
      errors: count("error"),
      skipped: count("skipped"),
      time: (report.endedAtMillis - report.startedAtMillis) / 1000,
    };
    totals.tests += suite.tests;
    totals.failures += suite.failures;
    totals.errors += suite.errors;
    totals.skipped += suite.skipped;
    totals.time += suite.time;
    const attributes =
      `name="${xmlAttribute(report.title)}" file="${xmlAttribute(report.file)}" tests="${suite.tests}" ` +
      `failures="${suite.failures}" errors="${suite.errors}" skipped="${suite.skipped}" time="${suite.time.toFixed(3)}" ` +
      `timestamp="${new Date(report.startedAtMillis).toISOString()}"`;
    const properties = [
      `      <property name="status" value="${xmlAttribute(report.status)}"/>`,
      `      <property name="profile" value="${xmlAttribute(report.profile)}"/>`,
    ];
    return [
      `  <testsuite ${attributes}>`,
      "    <properties>",
      ...properties,
      "    </properties>",
      ...cases.map((testCase) => testCaseXml(report.title, testCase)),
      "  </testsuite>",
    ].join("\n");
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="shakedown" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="${totals.time.toFixed(3)}">`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
}
