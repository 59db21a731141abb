import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import { PidRegistry, stillRunning } from "../../chaos/supervisor/pid-registry.js";
import { projectRoot } from "../../collector/paths.js";
import { getRun, listRuns } from "../../collector/query/runs.js";
import { openDatabase } from "../../collector/store/schema.js";
import { shakedown } from "../helpers/cli.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-run-cli-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const topology = join(projectRoot, "dist", "test", "chaos", "faults", "fixtures", "topology.js");

function write(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

const PROBE = `steadyState:
  probes:
    - { name: web answers, kind: http, service: web, path: /, min: 200, max: 299 }
`;

describe("shakedown run", () => {
  it("exits 2 with file:line:column for an invalid experiment, before starting anything", async () => {
    const path = write("broken.yaml", `title: broken\nmethod:\n  - at: 5x\n    fault: kill\n`);
    const other = write(
      "unknown.yaml",
      `title: unknown\nmethod:\n  - at: 1s\n    fault: kill\n  - at: 1s\n    fault: explode\n`,
    );
    const result = await shakedown(
      folder,
      "run",
      path,
      other,
      "--topology",
      topology,
      "--state-dir",
      join(folder, "unused"),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${path}:3:9 method[0].at: must be a duration like 500ms, 5s or 2m, not "5x"`,
    );
    expect(result.stderr).toMatch(
      new RegExp(`${other}:6:\\d+ method\\[1\\]\\.fault: no fault named "explode"`),
    );
    expect(result.stdout).not.toMatch(/seed/);
  });

  it("exits 2 on a malformed seed or parallel count, or a topology module that does not exist", async () => {
    const path = write("ok.yaml", `title: ok\nmethod:\n  - { at: 0s, fault: noop }\n`);
    expect((await shakedown(folder, "run", path, "--seed", "-1")).stderr).toMatch(
      /--seed: "-1" is not an integer/,
    );
    const zero = await shakedown(folder, "run", path, "--parallel", "0");
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--parallel: "0" is not an integer from 1 to 8/);
    const missing = await shakedown(folder, "run", path, "--topology", join(folder, "nope.js"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/topology module .*nope\.js does not exist/);
  });

  it("runs experiments against a fresh topology, writes the three reports, exits 0 when all pass and 1 when one does not", async () => {
    const pause = write(
      "pause.yaml",
      `title: pause a web node\n${PROBE}load:\n  flood: { ratePerSecond: 20, duration: 1s, timeout: 300ms, request: { service: web, path: / } }\nmethod:\n  - { at: 200ms, fault: pause, target: { role: web, pick: one }, duration: 300ms }\n`,
    );
    const stateDir = join(folder, "state");
    const reportDir = join(folder, "report");
    const junit = join(folder, "junit.xml");
    const db = join(folder, "runs.db");
    const passed = await shakedown(
      folder,
      "run",
      pause,
      "--topology",
      topology,
      "--state-dir",
      stateDir,
      "--seed",
      "5",
      "--report",
      reportDir,
      "--junit",
      junit,
      "--db",
      db,
    );
    expect(passed.stderr).toBe("");
    expect(passed.code).toBe(0);
    expect(passed.stdout).toMatch(/seed 5 /);
    expect(passed.stdout).toMatch(/PASSED {2}pause a web node/);
    const journal = JSON.parse(readFileSync(join(reportDir, "journal.json"), "utf8"));
    expect(JSON.stringify(journal)).toMatch(/state T \(stopped\)/);
    expect(XMLValidator.validate(readFileSync(junit, "utf8"))).toBe(true);
    expect(readFileSync(join(reportDir, "report.html"), "utf8")).toMatch(/<svg/);
    expect(new PidRegistry(join(stateDir, "pids.jsonl")).live().filter(stillRunning)).toEqual([]);

    const reader = openDatabase(db, { readonly: true });
    try {
      const { runs } = listRuns(reader, { limit: 10 });
      expect(runs).toEqual([
        expect.objectContaining({ title: "pause a web node", file: pause, status: "passed", control: null }),
      ]);
      const run = getRun(reader, runs[0]?.runId as string).run;
      expect(run.phases.map((phase) => phase.name)).toEqual([
        "steady-state-before",
        "method",
        "steady-state-after",
      ]);
      expect(run.faults).toEqual([
        expect.objectContaining({ fault: "pause", target: { role: "web", pick: "one" }, error: null }),
      ]);
      const [window] = run.faults;
      expect(window?.verification).toMatch(/state T \(stopped\)/);
      expect((window?.injectedAtMs as number) >= (run.methodStartMs as number) + 200).toBe(true);
      expect((window?.healedAtMs as number) >= (run.methodStartMs as number) + 500).toBe(true);
      expect(run.steadyState.before).toEqual([expect.objectContaining({ name: "web answers", valid: true })]);
      expect(run.series.map((series) => series.name)).toEqual(["ok", "failed", "p99 latency"]);
    } finally {
      reader.close();
    }

    const wrong = write(
      "wrong.yaml",
      `title: kill a catalog\nmethod:\n  - { at: 0s, fault: kill, target: { role: catalog }, duration: 1s }\n`,
    );
    const failed = await shakedown(
      folder,
      "run",
      pause,
      wrong,
      "--topology",
      topology,
      "--state-dir",
      stateDir,
    );
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(
      /ERROR {3}kill a catalog .*\n.*no node has role catalog \(roles: web, app\)/,
    );
    expect(failed.stdout).toMatch(/1 of 2 experiments passed/);
  });

  it("with --parallel 2 runs two launch groups at once, each on its own topology, and stops both", async () => {
    const flood = (env: string) =>
      write(
        `flood-${env}.yaml`,
        `title: flood ${env}\nprofile: default\ntopology: { env: { GROUP: "${env}" } }\n${PROBE}load:\n  flood: { ratePerSecond: 20, duration: 2s, timeout: 300ms, request: { service: web, path: / } }\nmethod:\n  - { at: 0s, fault: noop, target: {} }\n`,
      );
    const stateDir = join(folder, "parallel-state");
    const reportDir = join(folder, "parallel-report");
    const result = await shakedown(
      folder,
      "run",
      flood("a"),
      flood("b"),
      "--topology",
      topology,
      "--state-dir",
      stateDir,
      "--parallel",
      "2",
      "--report",
      reportDir,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.match(/topology default up in/g)).toHaveLength(2);
    const journal = JSON.parse(readFileSync(join(reportDir, "journal.json"), "utf8")) as {
      experiments: { title: string; startedAtMillis: number; endedAtMillis: number }[];
    };
    const [a, b] = ["flood a", "flood b"].map((title) =>
      journal.experiments.find((experiment) => experiment.title === title),
    );
    expect(a !== undefined && b !== undefined).toBe(true);
    if (a === undefined || b === undefined) return;
    // Each started before the other ended: the two groups ran at the same time.
    expect(a.startedAtMillis < b.endedAtMillis && b.startedAtMillis < a.endedAtMillis).toBe(true);
    const registry = new PidRegistry(join(stateDir, "pids.jsonl"));
    expect(registry.live().filter(stillRunning)).toEqual([]);
  });
});
