import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeasurementOutcome } from "../../../chaos/experiment/evaluate.js";
import type { FaultUnit, Injection } from "../../../chaos/experiment/fault-unit.js";
import { InMemoryTelemetry, type RecordedSpan } from "../../../chaos/experiment/telemetry.js";
import type { Experiment, Measurement } from "../../../chaos/experiment/types.js";
import { MemoryJournal } from "../../../chaos/journal/write-ahead.js";
import { escapeHtml, html, xmlAttribute, xmlText } from "../../../chaos/report/escape.js";
import { evidenceFromRequests } from "../../../chaos/report/evidence.js";
import { htmlReport } from "../../../chaos/report/html.js";
import { reportJson } from "../../../chaos/report/json.js";
import { junitXml } from "../../../chaos/report/junit.js";
import { writeReports } from "../../../chaos/report/write.js";
import { SimulatedClock } from "../../../chaos/timeline/clock.js";
import { type Engine, emptyHistory } from "../../../chaos/timeline/engine.js";
import type { ExperimentReport } from "../../../chaos/timeline/record.js";
import { runExperiment } from "../../../chaos/timeline/runner.js";

const START = 1_700_000_000_000;
const HOSTILE = `<script>alert("x")</script> & ]]> 'q' \u0001 ✓`;

const kill: FaultUnit = {
  name: "kill",
  description: "test",
  inject: async (): Promise<Injection> => ({ pid: 7 }),
  verify: async () => ({ tookEffect: true, evidence: "pid 7 <gone>" }),
  heal: async () => {},
};

function engine(prefix: string, spans: RecordedSpan[]): Engine {
  const clock = new SimulatedClock(START);
  let ids = 0;
  return {
    clock,
    faults: { kill },
    journal: new MemoryJournal(),
    telemetry: new InMemoryTelemetry(spans),
    http: { request: async () => ({ status: 200 }) },
    load: {
      async start(load, signal) {
        return { done: clock.sleep(load.durationMillis, signal), stop: async () => {} };
      },
    },
    history: emptyHistory,
    switches: { set: async () => {} },
    newRunId: () => `${prefix}-${++ids}`,
  };
}

const rate = (
  name: string,
  window: Measurement["window"],
  max: number,
  service = "gateway",
): Measurement => ({
  name,
  kind: "error_rate",
  description: null,
  window,
  bar: { max },
  params: { service },
});

function experiment(title: string, assertions: Measurement[], controlName: string): Experiment {
  return {
    file: `fixtures/${title.length}.yaml`,
    title,
    description: HOSTILE,
    profile: "default",
    topology: { env: {}, network: "loopback" },
    steadyState: { title: null, probes: [] },
    load: {
      type: "flood",
      ratePerSecond: 1,
      durationMillis: 30_000,
      timeoutMillis: 1000,
      request: { method: "GET", service: "gateway", path: "/", headers: {}, body: null },
    },
    method: [
      {
        id: "kill",
        fault: "kill",
        atMillis: 5000,
        target: { node: HOSTILE },
        config: {},
        durationMillis: 10_000,
      },
    ],
    assertions,
    controls: [{ name: controlName, description: null, disable: ["rate_limiter"], expect: "fail" }],
    rollbacks: [],
  };
}

const span = (offsetMillis: number, error: boolean): RecordedSpan => ({
  service: "gateway",
  startMillis: START + offsetMillis,
  durationMillis: 3,
  error,
});

let reports: ExperimentReport[];
let junit: string;
let page: string;
const folder = mkdtempSync(join(tmpdir(), "shakedown-report-"));

beforeAll(async () => {
  // Run 1 lives in [0 s, 30 s) and its control in [30 s, 60 s) of simulated time: errors in both.
  const first = await runExperiment(
    experiment(
      HOSTILE,
      [
        rate(`half errors during <b>kill</b>`, { anchor: "during", fault: "kill", offsetMillis: 0 }, 0.5),
        rate("no errors at all", { anchor: "run" }, 0),
        rate("a service without data", { anchor: "run" }, 0, "nothing"),
      ],
      `limiter "off" <i>`,
    ),
    engine("first", [span(6000, true), span(7000, false), span(36_000, true)]),
  );
  // Its control passes as well: the experiment cannot see its defense.
  const second = await runExperiment(
    experiment("toothless", [rate("fine", { anchor: "run" }, 1)], "nothing changes"),
    engine("second", [span(1000, false), span(31_000, false)]),
  );
  reports = [first, second];
  junit = junitXml(reports);
  const requests = [
    { timeMillis: START + 1000, status: 200, latencyMillis: 4 },
    { timeMillis: START + 6000, status: 503, latencyMillis: 9, traceId: "abc123" },
    { timeMillis: START + 6500, status: null, latencyMillis: 1000, traceId: "<def>" },
  ];
  page = htmlReport({
    reports,
    evidence: { [first.run.runId]: evidenceFromRequests(requests) },
    collectorApiUrl: "http://collector.test:18888/",
    generatedAtMillis: START,
  });
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("the JUnit report", () => {
  it("is well-formed XML with one test case per assertion and per control, and the expected counts", () => {
    expect(XMLValidator.validate(junit)).toBe(true);
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      isArray: (name) => ["testsuite", "testcase"].includes(name),
    }).parse(junit);
    expect(parsed.testsuites).toMatchObject({ tests: "6", failures: "2", errors: "1", skipped: "0" });
    const [first, second] = parsed.testsuites.testsuite;
    expect(first).toMatchObject({ tests: "4", failures: "1", errors: "1" });
    expect(second).toMatchObject({ tests: "2", failures: "1", errors: "0" });
    expect(first.testcase.map((c: { name: string }) => c.name)).toEqual([
      "half errors during <b>kill</b> [during kill]",
      "no errors at all [whole run]",
      "a service without data [whole run]",
      'negative control: limiter "off" <i>',
    ]);
  });

  it("keeps hostile strings intact through escaping", () => {
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(junit);
    const first = parsed.testsuites.testsuite[0];
    expect(first.name).toBe(HOSTILE.replace("\u0001", "\uFFFD"));
    expect(first.testcase[1].failure.message).toBe("measured 0.5, bar ≤ 0");
  });

  it("passes a negative control that failed as expected, with a note, and fails one that passed", () => {
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(junit);
    const control = parsed.testsuites.testsuite[0].testcase[3];
    expect(control.failure).toBeUndefined();
    expect(control["system-out"]).toMatch(
      /^negative control failed as expected with rate_limiter off: assertions failed: /,
    );
    const toothless = parsed.testsuites.testsuite[1].testcase[1];
    expect(toothless.failure.message).toBe(
      "negative control passed with rate_limiter off: the experiment cannot tell whether the defense works",
    );
  });

  it("escapes text and attributes, and replaces characters XML cannot carry", () => {
    expect(xmlText("a<b>&c\u0000")).toBe("a&lt;b&gt;&amp;c\uFFFD");
    expect(xmlText("lone \uD800 pair \uD83D\uDE00")).toBe("lone \uFFFD pair \uD83D\uDE00");
    expect(xmlAttribute(`"x"\n'y'\t`)).toBe("&quot;x&quot;&#10;&apos;y&apos;&#9;");
  });

  it("fails a time that never came with the reason in place of a measured value", () => {
    const toothless = reports[1] as ExperimentReport;
    const neverRecovered: ExperimentReport = {
      ...toothless,
      controls: [],
      run: {
        ...toothless.run,
        status: "failed",
        assertions: [
          {
            ...(toothless.run.assertions[0] as MeasurementOutcome),
            kind: "time_to_recover",
            unit: "ms",
            valid: false,
            measured: null,
            bar: { max: 5000 },
            reason: "not recovered in the 10 s watched from kill's heal",
          },
        ],
      },
    };
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(
      junitXml([neverRecovered]),
    );
    expect(parsed.testsuites.testsuite.testcase.failure.message).toBe(
      "not recovered in the 10 s watched from kill's heal, bar ≤ 5000 ms",
    );
  });

  it("shows a run that ended in error on every assertion it could not measure", () => {
    const toothless = reports[1] as ExperimentReport;
    const errored: ExperimentReport = {
      ...toothless,
      controls: [],
      run: {
        ...toothless.run,
        status: "error",
        reason: "fault kill (kill) did not take effect",
        assertions: toothless.run.assertions.map((a) => ({
          ...a,
          valid: "unknown" as const,
          reason: "not measured",
        })),
      },
    };
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(
      junitXml([errored]),
    );
    expect(parsed.testsuites).toMatchObject({ tests: "1", errors: "1" });
    expect(parsed.testsuites.testsuite.testcase.error.message).toBe("could not be judged: not measured");
  });
});

describe("the HTML report", () => {
  it("shades each fault window in every chart", () => {
    // The first run has evidence (a req/s and an ms chart), every other run its bare fault-window chart.
    expect(page.match(/<rect class="fault-window"/g)).toHaveLength(2 + 1 + 1 + 1);
    expect(page).toContain("<polyline");
  });

  it("escapes data and never lets a title open a script", () => {
    expect(page).not.toContain("<script>");
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ]]&gt;");
    expect(page).toContain("half errors during &lt;b&gt;kill&lt;/b&gt;");
    expect(page).toContain("pid 7 &lt;gone&gt;");
  });

  it("links failing requests to their traces in the collector", () => {
    expect(page).toContain('href="http://collector.test:18888/api/traces/abc123"');
    expect(page).toContain('href="http://collector.test:18888/api/traces/%3Cdef%3E"');
    const unsafe = htmlReport({
      reports,
      evidence: { "first-1": evidenceFromRequests([{ timeMillis: START, status: 500, traceId: "x" }]) },
      collectorApiUrl: "javascript:alert(1)",
    });
    expect(unsafe).not.toContain("javascript:");
    expect(unsafe).not.toContain("<a ");
  });

  it("shows measured values next to their bars", () => {
    expect(page).toMatch(/<td class="num">0\.5<\/td>\s*<td class="num">≤ 0<\/td>/);
  });

  it("escapes interpolations in the html tag unless they are already safe markup", () => {
    expect(html`<p>${"<x>"}${html`<b>${"&"}</b>`}${["<", html`<i/>`]}</p>`.value).toBe(
      "<p>&lt;x&gt;<b>&amp;</b>&lt;<i/></p>",
    );
    expect(escapeHtml(`'"`)).toBe("&#39;&quot;");
  });
});

describe("report files", () => {
  it("writes the JSON journal, JUnit and HTML where the CLI asks", () => {
    const written = writeReports(reports, {
      junitPath: join(folder, "ci/junit.xml"),
      reportDir: join(folder, "out"),
    });
    expect(written.map((path) => path.slice(folder.length))).toEqual([
      "/ci/junit.xml",
      "/out/journal.json",
      "/out/junit.xml",
      "/out/report.html",
    ]);
    const journal = JSON.parse(readFileSync(join(folder, "out/journal.json"), "utf8"));
    expect(journal).toMatchObject({ shakedownReport: 1, status: "failed" });
    expect(journal.experiments[0].run.assertions[1]).toMatchObject({
      measured: 0.5,
      bar: { max: 0 },
      valid: false,
    });
    expect(journal.experiments[0].run.faults[0]).toMatchObject({
      injectedAtMillis: START + 5000,
      verifiedAtMillis: START + 5000,
      healedAtMillis: START + 15_000,
    });
    expect(reportJson(reports)).toBe(readFileSync(join(folder, "out/journal.json"), "utf8"));
  });
});
