import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../../collector/paths.js";

const run = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: parsed JUnit is checked field by field below.
type Json = any;

describe("failover experiments against the real shop", () => {
  it("keeps serving through a killed catalog replica and a dead registry, and each negative control fails", {
    timeout: 420_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "shakedown-experiments-"));
    const { stdout } = await run(
      process.execPath,
      [
        join(projectRoot, "bin", "shakedown.js"),
        "run",
        join(projectRoot, "fixtures", "experiments", "sample.yaml"),
        join(projectRoot, "fixtures", "experiments", "registry-down.yaml"),
        "--junit",
        join(dir, "junit.xml"),
        "--report",
        join(dir, "report"),
        "--db",
        join(dir, "run.db"),
        "--state-dir",
        join(dir, "state"),
      ],
      { timeout: 400_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => {
      // The engine's own words say which assertion or control went wrong; a bare exit code would not.
      throw new Error(`shakedown run failed:\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    });
    expect(stdout).toMatch(/2 of 2 experiments passed/);
    for (const file of ["journal.json", "report.html"])
      expect(existsSync(join(dir, "report", file))).toBe(true);

    const junit: Json = new XMLParser({ ignoreAttributes: false }).parse(
      readFileSync(join(dir, "junit.xml"), "utf8"),
    );
    const suites = [junit.testsuites.testsuite].flat();
    expect(suites.map((s: Json) => s["@_name"]).sort()).toEqual([
      "Kill a catalog replica under load",
      "etcd down under load",
    ]);
    for (const suite of suites) {
      expect(suite["@_failures"]).toBe("0");
      expect(suite["@_errors"]).toBe("0");
      const cases = [suite.testcase].flat();
      const control = cases.find((c: Json) => String(c["@_name"]).startsWith("negative control"));
      expect(String(control["system-out"])).toMatch(/failed as expected/);
    }
  });
});
