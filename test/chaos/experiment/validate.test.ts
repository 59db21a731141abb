import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ExperimentError, isExperimentError } from "../../../chaos/experiment/errors.js";
import { faultCatalog } from "../../../chaos/experiment/fault-unit.js";
import { loadExperiment } from "../../../chaos/experiment/load.js";
import { experimentSchema } from "../../../chaos/experiment/schema.js";
import { parseExperiment } from "../../../chaos/experiment/validate.js";

const faults = {
  ...faultCatalog(["kill", "pause", "partition"]),
  latency: {
    configSchema: {
      type: "object",
      required: ["latencyMillis"],
      properties: { latencyMillis: { type: "integer" } },
      additionalProperties: false,
    },
  },
};

const root = join(import.meta.dirname, "../../..");
const folder = mkdtempSync(join(tmpdir(), "shakedown-experiment-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The problems of a file, as `line:column field: message` without the file name. */
function problems(text: string): string[] {
  try {
    parseExperiment(text, "x.yaml", { faults });
  } catch (error) {
    if (!isExperimentError(error)) throw error;
    return (error as ExperimentError).problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`);
  }
  throw new Error("the experiment was accepted");
}

const minimal = (rest: string) => `title: t\nmethod:\n  - at: 1s\n    fault: kill\n${rest}`;

describe("experiment files", () => {
  it("loads the sample experiment with durations in milliseconds and default ids", () => {
    const experiment = loadExperiment(join(root, "fixtures/experiments/failover/kill-catalog.yaml"), {
      faults,
    });
    expect(experiment.title).toBe("Kill a catalog replica under load");
    expect(experiment.method).toEqual([
      {
        id: "kill-catalog",
        atMillis: 3000,
        fault: "kill",
        target: { role: "catalog", pick: "one" },
        config: {},
        durationMillis: 8000,
      },
    ]);
    expect(experiment.load).toMatchObject({ type: "flood", ratePerSecond: 50, durationMillis: 12_000 });
    expect(experiment.assertions.map((a) => a.window)).toEqual([
      { anchor: "before", fault: "kill-catalog", lengthMillis: null },
      { anchor: "during", fault: "kill-catalog", offsetMillis: 0 },
      { anchor: "during", fault: "kill-catalog", offsetMillis: 4000 },
      { anchor: "during", fault: "kill-catalog", offsetMillis: 5000 },
    ]);
    expect(experiment.assertions[3]).toMatchObject({
      bar: { max: 100 },
      params: {
        service: "gateway",
        quantile: 0.99,
        baseline: { anchor: "before", fault: "kill-catalog", lengthMillis: null },
      },
    });
    expect(experiment.controls).toEqual([
      {
        name: "without retries on idempotent reads",
        description: expect.stringContaining("neither retries nor ejects outliers"),
        disable: ["rpc.retries", "rpc.outlier_ejection"],
        expect: "fail",
      },
    ]);
    expect(experiment.steadyState.probes[0]).toMatchObject({ kind: "http", window: { anchor: "last" } });
  });

  it("names file, line, column and field of a bad duration, and the CLI message carries them", () => {
    const path = join(folder, "broken.yaml");
    writeFileSync(path, "title: broken\nmethod:\n  - fault: kill\n    at: 5x\n");
    let caught: unknown;
    try {
      loadExperiment(path, { faults });
    } catch (error) {
      caught = error;
    }
    expect(isExperimentError(caught)).toBe(true);
    expect((caught as ExperimentError).code).toBe("SHAKEDOWN_INVALID_EXPERIMENT");
    expect((caught as Error).message).toBe(
      `${path}:4:9 method[0].at: must be a duration like 500ms, 5s or 2m, not "5x"`,
    );
  });

  it("points a missing required field at its parent and an unknown field at its key", () => {
    expect(problems("method:\n  - at: 1s\n    fault: kill\n    bogus: 1\n")).toEqual([
      "1:1 title: is required",
      "4:5 method[0].bogus: is not a known field (allowed: id, at, fault, target, config, duration)",
    ]);
  });

  it("reports a fault name no unit carries, with the known ones", () => {
    expect(problems("title: t\nmethod:\n  - at: 1s\n    fault: kil\n")).toEqual([
      '4:12 method[0].fault: no fault named "kil" (known: kill, latency, partition, pause)',
    ]);
  });

  it("validates a fault's config against the unit's schema", () => {
    expect(
      problems("title: t\nmethod:\n  - at: 1s\n    fault: latency\n    config: { latency: 5 }\n"),
    ).toEqual([
      "5:13 method[0].config.latencyMillis: is required",
      "5:15 method[0].config.latency: is not a known field (allowed: latencyMillis)",
    ]);
  });

  it("reports a window that refers to no method action", () => {
    const text = minimal(
      "assertions:\n  - name: a\n    kind: error_rate\n    service: gateway\n    window: { during: kill-catalog }\n    max: 0\n",
    );
    expect(problems(text)).toEqual([
      '9:15 assertions[0].window.during: no method action with id "kill-catalog" (ids: kill)',
    ]);
  });

  it("reports a window that is neither run nor an object", () => {
    const text = minimal(
      "assertions:\n  - name: a\n    kind: error_rate\n    service: g\n    window: always\n    max: 0\n",
    );
    expect(problems(text)).toEqual([
      '9:13 assertions[0].window: must be "run" or an object with one of before, during, after, last',
    ]);
  });

  it("checks kind-specific fields, bars and unknown kinds", () => {
    const text = minimal(
      [
        "assertions:",
        "  - name: p99",
        "    kind: latency_quantile",
        "    service: gateway",
        "    quantile: 99",
        "  - name: other",
        "    kind: throughput",
        "    max: 1",
        "",
      ].join("\n"),
    );
    expect(problems(text)).toEqual([
      "6:5 assertions[0]: needs a bar: min, max or both",
      "9:15 assertions[0].quantile: must be <= 1",
      expect.stringMatching(
        /^11:11 assertions\[1\]\.kind: no assertion kind "throughput" \(known: checker, error_rate, http, .*\)$/,
      ),
    ]);
  });

  it("checks that a header an assertion reads is one the flood records, and that {{token}} has a login", () => {
    const text = [
      "title: t",
      "load:",
      "  flood:",
      "    ratePerSecond: 1",
      "    duration: 1s",
      "    recordHeaders: [Shop-Degraded]",
      "    request: { service: gateway, path: /r, headers: { authorization: 'Bearer {{token}}' } }",
      "method:",
      "  - { at: 0s, fault: kill }",
      "assertions:",
      "  - { name: degraded, kind: response_share, header: shop-degraded, min: 1 }",
      "  - { name: other, kind: response_share, header: Retry-After, status: 429, max: 0 }",
      "",
    ].join("\n");
    expect(problems(text)).toEqual([
      "7:14 load.flood.request: uses {{token}} but the flood has no login",
      '12:50 assertions[1].header: "Retry-After" is not in load.flood.recordHeaders',
    ]);
  });

  it("reports a flood request whose template holds a placeholder it cannot fill", () => {
    const text = minimal(
      [
        "load:",
        "  flood:",
        "    ratePerSecond: 10",
        "    duration: 1s",
        "    request: { service: gateway, path: '/products/{{shuffle 0}}', headers: { x: '{{nope}}' } }",
        "",
      ].join("\n"),
    );
    expect(problems(text)).toEqual([
      "9:40 load.flood.request.path: {{shuffle 0}}: N must be an integer from 1 to 1000000",
      "9:76 load.flood.request.headers: unknown placeholder {{nope}} (known: {{key}}, {{token}}, {{cycle N}}, {{shuffle N}})",
    ]);
  });

  it("validates a baseline window like a window, and hands it on resolved", () => {
    const text = minimal(
      [
        "assertions:",
        "  - name: back to baseline",
        "    kind: latency_over_baseline",
        "    service: gateway",
        "    quantile: 0.99",
        "    window: { during: kill, offset: 5s }",
        "    baseline: { before: kill }",
        "    max: 100",
        "  - name: wrong baseline",
        "    kind: latency_over_baseline",
        "    service: gateway",
        "    quantile: 0.99",
        "    baseline: { before: nope, offset: 1s }",
        "    max: 100",
        "",
      ].join("\n"),
    );
    expect(problems(text)).toEqual([
      '17:17 assertions[1].baseline.before: no method action with id "nope" (ids: kill)',
      '17:31 assertions[1].baseline.offset: offset applies only to "during" and "after"',
    ]);
    const valid = parseExperiment(text.split("  - name: wrong baseline")[0] as string, "x.yaml", { faults });
    expect(valid.assertions[0]?.params.baseline).toEqual({
      anchor: "before",
      fault: "kill",
      lengthMillis: null,
    });
  });

  it("checks a checker's name and its config against the checker's schema", () => {
    const text = minimal(
      [
        "assertions:",
        "  - name: limited",
        "    kind: checker",
        "    checker: admitted_rate",
        "    config: { windowMillis: 1000, tolerance: -1 }",
        "  - name: once",
        "    kind: checker",
        "    checker: exactly_twice",
        "",
      ].join("\n"),
    );
    expect(problems(text)).toEqual([
      "9:13 assertions[0].config.limit: is required",
      "9:46 assertions[0].config.tolerance: must be >= 0",
      '12:14 assertions[1].checker: no checker named "exactly_twice" (known: admitted_rate, calls_while_open, exactly_once, no_producer_duplicates, noop)',
    ]);
  });

  it("reads the topology's node environment and network, defaulting to none on loopback", () => {
    const parse = (text: string) => parseExperiment(text, "x.yaml", { faults });
    expect(parse(minimal("")).topology).toEqual({ env: {}, network: "loopback" });
    const settings = parse(
      minimal(
        'topology:\n  network: netns\n  env: { SHOP_RATE_LIMITS: "[]", SHOP_CACHE_TTL_MILLIS: "2000" }\n',
      ),
    ).topology;
    expect(settings).toEqual({
      env: { SHOP_RATE_LIMITS: "[]", SHOP_CACHE_TTL_MILLIS: "2000" },
      network: "netns",
    });
    expect(problems(minimal("topology:\n  env: { limits: 5 }\n"))).toEqual([
      '6:8 topology.env: must match pattern "^[A-Z_][A-Z0-9_]*$", not "limits"',
      "6:8 topology.env: property name must be valid",
      "6:18 topology.env.limits: must be string",
    ]);
    expect(problems(minimal("topology:\n  network: host\n"))).toEqual([
      expect.stringMatching(/^6:12 topology\.network: must be one of/),
    ]);
  });

  it("reads a flood's pulses, which must be narrower than their period and fit in the flood", () => {
    const load = (pulses: string, duration = "10s") =>
      minimal(
        `load:\n  flood:\n    ratePerSecond: 300\n    duration: ${duration}\n    pulses: ${pulses}\n    request: { service: gateway, path: / }\n`,
      );
    const parsed = parseExperiment(load("{ every: 2s, width: 1s }"), "x.yaml", { faults }).load;
    expect(parsed).toMatchObject({ type: "flood", pulses: { everyMillis: 2000, widthMillis: 1000 } });
    expect(problems(load("{ every: 1s, width: 1s }"))).toEqual([
      "9:33 load.flood.pulses.width: must be longer than 0 and shorter than every (1s)",
    ]);
    expect(problems(load("{ every: 2s, width: 1s }", "2500ms"))).toEqual([
      "8:15 load.flood.duration: must be at least pulses.every + pulses.width to hold a pulse",
    ]);
    expect(problems(load("{ every: 2s }"))).toEqual(["9:13 load.flood.pulses.width: is required"]);
  });

  it("requires distinct ids when a fault is used twice", () => {
    expect(problems("title: t\nmethod:\n  - at: 1s\n    fault: kill\n  - at: 2s\n    fault: kill\n")).toEqual(
      [
        '6:5 method[1].fault: id "kill" is used by an earlier action; give the actions of "kill" distinct ids',
      ],
    );
  });

  it("reports YAML syntax errors with their line", () => {
    const [problem] = problems("title: t\nmethod: [\n  - at: 1s\n");
    expect(problem).toMatch(/^\d+:\d+ : YAML: /);
    expect(problems("title: t\ntitle: u\nmethod: [{ at: 1s, fault: kill }]\n")).toEqual([
      '2:1 : YAML: key "title" appears twice',
    ]);
  });

  it("rejects a probe that looks at a fault and an assertion that looks at the last seconds", () => {
    const text = minimal(
      [
        "steadyState:",
        "  probes:",
        "    - { name: p, kind: error_rate, service: g, max: 0, window: { during: kill } }",
        "assertions:",
        "  - { name: a, kind: error_rate, service: g, max: 0, window: { last: 5s } }",
        "",
      ].join("\n"),
    );
    expect(problems(text)).toEqual([
      "7:66 steadyState.probes[0].window.during: a probe looks at { last: <duration> }, not at a fault",
      '9:64 assertions[0].window.last: "last" is for steady-state probes; use before, during or after',
    ]);
  });

  it("names the file when it cannot be read", () => {
    expect(() => loadExperiment(join(folder, "missing.yaml"), { faults })).toThrow(
      /missing\.yaml:0:0 cannot be read \(ENOENT\)/,
    );
  });

  it("exports a schema an editor can use", () => {
    expect(JSON.parse(JSON.stringify(experimentSchema)).required).toEqual(["title", "method"]);
  });
});
