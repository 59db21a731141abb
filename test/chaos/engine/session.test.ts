import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSession } from "../../../chaos/engine/session.js";
import { parseExperiment } from "../../../chaos/experiment/validate.js";
import { faultCatalog } from "../../../chaos/faults/registry.js";
import { projectRoot } from "../../../collector/paths.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-session-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("a session", () => {
  it("stops waiting for a topology that never stops, says so, and reports the run", async () => {
    const experiment = parseExperiment("title: t\nmethod:\n  - { at: 0s, fault: noop }\n", "t.yaml", {
      faults: faultCatalog(),
    });
    const lines: string[] = [];
    const outcome = await runSession([experiment], {
      command: "test",
      topologyModule: join(projectRoot, "dist", "test", "chaos", "engine", "fixtures", "stuck-topology.js"),
      stateDir: join(folder, "state"),
      defaultDatabasePath: join(folder, "runs.db"),
      signal: new AbortController().signal,
      log: (line) => lines.push(line),
      closeTimeoutMillis: 200,
    });
    expect(outcome.reports.map((report) => report.status)).toEqual(["passed"]);
    expect(outcome.stuck).toBe(true);
    expect(lines).toContain(
      "the topology did not stop within 0.2 s; `shakedown recover` stops what it left behind",
    );
  });
});
