import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../../collector/paths.js";

const run = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: the journal is checked field by field below.
type Json = any;

const SUITE = join(projectRoot, "fixtures", "experiments", "breaking");

describe("the circuit-breaking suite against the real shop", () => {
  it("opens in its window, keeps calls away while open, serves the fallback, closes after heal; without the breaker it fails", {
    timeout: 420_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "shakedown-breaking-"));
    const files = readdirSync(SUITE)
      .filter((name) => name.endsWith(".yaml"))
      .map((name) => join(SUITE, name));
    const { stdout } = await run(
      process.execPath,
      [
        join(projectRoot, "bin", "shakedown.js"),
        "run",
        ...files,
        "--report",
        join(dir, "report"),
        "--db",
        join(dir, "run.db"),
        "--state-dir",
        join(dir, "state"),
      ],
      { timeout: 400_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`shakedown run failed:\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    });
    expect(stdout).toMatch(new RegExp(`${files.length} of ${files.length} experiments passed`));

    const journal: Json = JSON.parse(readFileSync(join(dir, "report", "journal.json"), "utf8"));
    for (const report of journal.experiments) {
      expect(report.status).toBe("passed");
      const checks = report.run.assertions.filter((a: Json) => a.kind === "checker");
      expect(checks.length).toBeGreaterThan(0);
      for (const check of checks) {
        // Every breaker history: no call while open, one probe per half-open period, and it did open.
        expect(check.details.callsWhileOpenCount).toBe(0);
        expect(check.details.openedCount).toBeGreaterThan(0);
        expect(Math.max(...check.details.callsWhileHalfOpen)).toBe(1);
      }
      expect(checks.some((c: Json) => typeof c.details.millisToOpen === "number")).toBe(true);
      expect(checks.some((c: Json) => typeof c.details.millisToClose === "number")).toBe(true);
      // Each control fails the breaker's own assertions, not merely something: every breaker checker, and
      // the gateway's latency while recommendations hangs.
      for (const control of report.controls) {
        expect(control.verdict).toBe("failed-as-expected");
        const failed = control.run.assertions.filter((a: Json) => a.valid === false);
        const failedNames = failed.map((a: Json) => a.name);
        expect(failedNames).toEqual(expect.arrayContaining(checks.map((c: Json) => c.name)));
        expect(failed.some((a: Json) => a.kind === "latency_quantile")).toBe(true);
      }
    }
  });
});
