import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../collector/paths.js";
import { shakedown } from "../helpers/cli.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-gate-cli-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const topology = join(projectRoot, "dist", "test", "chaos", "faults", "fixtures", "topology.js");

/** A folder of suites, each a folder of case files. */
function suites(name: string, cases: Record<string, Record<string, string>>): string {
  const root = join(folder, name);
  for (const [suite, files] of Object.entries(cases)) {
    mkdirSync(join(root, suite), { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(root, suite, file), text);
  }
  return root;
}

/**
 * A case on the test topology: a 1 s flood of GET `path`, which must get no 503. /guarded answers 503 while
 * the app's `demo_guard` switch is off, so its negative control fails; / does not care, so its control passes.
 */
function guardCase(title: string, path = "/guarded", controls = true): string {
  return [
    `title: ${title}`,
    "load:",
    `  flood: { ratePerSecond: 50, duration: 1s, timeout: 500ms, request: { service: app, path: ${path} } }`,
    "method:",
    "  - { at: 0s, fault: noop }",
    "assertions:",
    `  - name: no ${path} request answered 503`,
    "    kind: checker",
    "    checker: admitted_rate",
    "    config: { limit: 1000, windowMillis: 200, rejectedStatus: 503 }",
    ...(controls
      ? ["controls:", "  - { name: without the guard, disable: [demo_guard], expect: fail }"]
      : []),
    "",
  ].join("\n");
}

const common = (experiments: string) => [
  "gate",
  "--experiments",
  experiments,
  "--topology",
  topology,
  "--state-dir",
  join(folder, "state"),
];

// biome-ignore lint/suspicious/noExplicitAny: parsed JUnit is checked field by field below.
type Json = any;

describe("shakedown gate", () => {
  it("exits 2 for an unknown suite, naming the known ones, and for a case without a negative control, naming the file", async () => {
    const root = suites("usage", {
      failover: { "guarded.yaml": guardCase("guarded") },
      cache: { "bare.yaml": guardCase("no control", "/guarded", false) },
    });
    const unknown = await shakedown(folder, ...common(root), "--suite", "speed");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'no suite named "speed" (suites: limiting, breaking, failover, exactly-once, cache)',
    );
    const empty = await shakedown(folder, ...common(root), "--suite", "limiting");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/suite limiting has no cases yet/);
    const bare = await shakedown(folder, ...common(root));
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(`every gate case needs a negative control`);
    expect(bare.stderr).toContain(join(root, "cache", "bare.yaml"));
    expect(bare.stdout).not.toMatch(/seed/);
  });

  it("passes when every case passes and every control fails, with JUnit grouped per suite and reports per suite", async () => {
    const root = suites("passing", {
      failover: { "guarded.yaml": guardCase("guarded route") },
      breaking: { "also-guarded.yaml": guardCase("guarded again") },
    });
    const junit = join(folder, "passing.xml");
    const reportDir = join(folder, "passing-report");
    const result = await shakedown(folder, ...common(root), "--junit", junit, "--report", reportDir);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/gate: no cases yet in limiting, exactly-once, cache/);
    expect(result.stdout).toMatch(/suite +case +verdict +negative controls +wall time/);
    expect(result.stdout).toMatch(/failover +guarded +PASSED +failed as expected +\d+\.\d s/);
    expect(result.stdout).toMatch(/breaking +also-guarded +PASSED +failed as expected/);
    expect(result.stdout).toMatch(
      /gate PASSED: 2 of 2 cases passed, 2 of 2 negative controls failed as expected/,
    );

    const xml = readFileSync(junit, "utf8");
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed: Json = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml);
    const byName = Object.fromEntries([parsed.testsuites.testsuite].flat().map((s: Json) => [s.name, s]));
    expect(Object.keys(byName)).toEqual(["limiting", "breaking", "failover", "exactly-once", "cache"]);
    expect(byName.cache).toMatchObject({
      tests: "0",
      properties: { property: { name: "cases", value: "none yet" } },
    });
    const cases = [byName.failover.testcase].flat();
    expect(cases.map((c: Json) => [c.classname, c.name])).toEqual([
      ["failover.guarded", "guarded route"],
      ["failover.guarded", "negative control: without the guard"],
    ]);
    expect(cases[0]["system-out"]).toMatch(/^ok +no \/guarded request answered 503: true$/);
    expect(cases[1]["system-out"]).toMatch(/failed as expected with demo_guard off/);
    expect(byName.failover).toMatchObject({ failures: "0", errors: "0" });
    for (const file of ["junit.xml", "summary.txt", "failover/report.html", "breaking/journal.json"]) {
      expect(readFileSync(join(reportDir, file), "utf8").length).toBeGreaterThan(0);
    }
  });

  it("fails (exit 1) when a negative control passes, and says which", async () => {
    const root = suites("toothless", {
      failover: {
        "guarded.yaml": guardCase("guarded route"),
        "toothless.yaml": guardCase("sees nothing", "/"),
      },
    });
    const junit = join(folder, "toothless.xml");
    const result = await shakedown(folder, ...common(root), "--suite", "failover", "--junit", junit);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failover +toothless +PASSED +PASSED \(cannot see the defense\)/);
    expect(result.stdout).toMatch(
      /gate FAILED: 2 of 2 cases passed, 1 of 2 negative controls failed as expected/,
    );
    const parsed: Json = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(
      readFileSync(junit, "utf8"),
    );
    const suite = parsed.testsuites.testsuite;
    expect(suite).toMatchObject({ name: "failover", failures: "1" });
    const failing = [suite.testcase].flat().find((c: Json) => c.failure !== undefined);
    expect(failing).toMatchObject({
      classname: "failover.toothless",
      name: "negative control: without the guard",
    });
  });
});
