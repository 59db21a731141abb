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

/** One `<testsuite>` before rendering: its name, extra attributes, properties and classed test cases. */
interface SuiteParts {
  readonly name: string;
  readonly attributes: string;
  readonly timeSeconds: number;
  readonly properties: Readonly<Record<string, string>>;
  readonly cases: readonly { readonly classname: string; readonly testCase: TestCase }[];
}

function junitDocument(documentName: string, suites: readonly SuiteParts[]): string {
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  const rendered = suites.map((suite) => {
    const count = (kind: string) => suite.cases.filter((c) => c.testCase.result.kind === kind).length;
    const tests = suite.cases.length;
    const [failures, errors, skipped] = [count("failure"), count("error"), count("skipped")];
    totals.tests += tests;
    totals.failures += failures;
    totals.errors += errors;
    totals.skipped += skipped;
    totals.time += suite.timeSeconds;
    const attributes =
      `name="${xmlAttribute(suite.name)}"${suite.attributes} tests="${tests}" failures="${failures}" ` +
      `errors="${errors}" skipped="${skipped}" time="${suite.timeSeconds.toFixed(3)}"`;
    return [
      `  <testsuite ${attributes}>`,
      "    <properties>",
      ...Object.entries(suite.properties).map(
        ([name, value]) => `      <property name="${xmlAttribute(name)}" value="${xmlAttribute(value)}"/>`,
      ),
      "    </properties>",
      ...suite.cases.map(({ classname, testCase }) => testCaseXml(classname, testCase)),
      "  </testsuite>",
    ].join("\n");
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlAttribute(documentName)}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="${totals.time.toFixed(3)}">`,
    ...rendered,
    "</testsuites>",
    "",
  ].join("\n");
}

const reportSeconds = (report: ExperimentReport) => (report.endedAtMillis - report.startedAtMillis) / 1000;

/**
 * JUnit XML, the format CI systems read: one test suite per experiment, one test case per assertion and per
 * negative control. A control that failed as expected is a passing case with a note in `<system-out>`.
 */
export function junitXml(reports: readonly ExperimentReport[]): string {
  return junitDocument(
    "shakedown",
    reports.map((report) => ({
      name: report.title,
      attributes: ` file="${xmlAttribute(report.file)}" timestamp="${new Date(report.startedAtMillis).toISOString()}"`,
      timeSeconds: reportSeconds(report),
      properties: { status: report.status, profile: report.profile },
      cases: [...runCases(report.run), ...report.controls.map(controlCase)].map((testCase) => ({
        classname: report.title,
        testCase,
      })),
    })),
  );
}

/** The experiment as written, as one test case: its status, with every measured value beside its bar. */
function caseRunCase(report: ExperimentReport): TestCase {
  const run = report.run;
  const measured = run.assertions
    .map((outcome) => `${outcome.valid === true ? "ok  " : "FAIL"} ${outcome.name}: ${measuredText(outcome)}`)
    .join("\n");
  const timeSeconds = (run.endedAtMillis - run.startedAtMillis) / 1000;
  const reason = run.reason ?? run.status;
  const result: TestCase["result"] =
    run.status === "passed"
      ? { kind: "passed", note: measured }
      : run.status === "failed"
        ? { kind: "failure", message: reason, detail: measured }
        : run.status === "error"
          ? { kind: "error", message: reason, detail: measured }
          : { kind: "skipped", message: reason };
  return { name: report.title, timeSeconds, result };
}

/** A gate suite's reports, each with its case id (the experiment file's name). */
export interface GateSuiteReports {
  readonly name: string;
  readonly cases: readonly { readonly id: string; readonly report: ExperimentReport }[];
}

/**
 * The gate's JUnit XML: one test suite per gate suite, and in it, per case, one test case for the experiment
 * as written and one per negative control (classname `<suite>.<case>`). A suite with no cases yet is an
 * empty test suite that says so in its properties.
 */
export function gateJunitXml(suites: readonly GateSuiteReports[]): string {
  return junitDocument(
    "shakedown gate",
    suites.map((suite) => ({
      name: suite.name,
      attributes:
        suite.cases[0] === undefined
          ? ""
          : ` timestamp="${new Date(suite.cases[0].report.startedAtMillis).toISOString()}"`,
      timeSeconds: suite.cases.reduce((sum, c) => sum + reportSeconds(c.report), 0),
      properties: { cases: suite.cases.length === 0 ? "none yet" : String(suite.cases.length) },
      cases: suite.cases.flatMap(({ id, report }) =>
        [caseRunCase(report), ...report.controls.map(controlCase)].map((testCase) => ({
          classname: `${suite.name}.${id}`,
          testCase,
        })),
      ),
    })),
  );
}
