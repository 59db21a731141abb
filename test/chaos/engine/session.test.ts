import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { runSession } from "../../../chaos/engine/session.js";
import { runState } from "../../../chaos/engine/state.js";
import { parseExperiment } from "../../../chaos/experiment/validate.js";
import { faultCatalog } from "../../../chaos/faults/registry.js";
import { PidRegistry } from "../../../chaos/supervisor/pid-registry.js";
import { projectRoot } from "../../../collector/paths.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-session-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const fixture = (name: string) => join(projectRoot, "dist", "test", "chaos", "engine", "fixtures", name);

function noopExperiment() {
  return parseExperiment("title: t\nmethod:\n  - { at: 0s, fault: noop }\n", "t.yaml", {
    faults: faultCatalog(),
  });
}

describe("a session", () => {
  it("stops waiting for a topology that never stops, says so, and reports the run", async () => {
    const lines: string[] = [];
    const outcome = await runSession([noopExperiment()], {
      command: "test",
      topologyModule: fixture("stuck-topology.js"),
      stateDir: join(folder, "state"),
      defaultDatabasePath: join(folder, "runs.db"),
      signal: new AbortController().signal,
      log: (line) => lines.push(line),
      closeTimeoutMillis: 200,
    });
    expect(outcome.reports.map((report) => report.status)).toEqual(["passed"]);
    expect(outcome.stuck).toBe(true);
    expect(outcome.unstopped).toEqual([
      { profile: "default", experiments: ["t.yaml"], unsettled: [], running: [] },
    ]);
    expect(lines).toContain(
      "the topology did not stop within 0.2 s (default: t.yaml); the topology names no part of its close " +
        "as pending; no node still running; `shakedown recover` stops what it left behind",
    );
  });

  it("names the node that would not stop, its PID and the signals it was sent, and the close step it held", async () => {
    const stateDir = join(folder, "stubborn");
    const lines: string[] = [];
    try {
      const outcome = await runSession([noopExperiment()], {
        command: "test",
        topologyModule: fixture("stubborn-topology.js"),
        stateDir,
        defaultDatabasePath: join(folder, "stubborn.db"),
        signal: new AbortController().signal,
        log: (line) => lines.push(line),
        closeTimeoutMillis: 500,
      });
      expect(outcome.stuck).toBe(true);
      const [unstopped] = outcome.unstopped;
      const pid = unstopped?.running[0]?.pid as number;
      expect(unstopped?.running).toEqual([{ name: "stubborn-1", pid }]);
      expect(unstopped?.unsettled).toEqual([
        expect.stringMatching(
          new RegExp(
            `^supervisor stopping nodes \\(stubborn-1 \\(pid ${pid}: SIGTERM \\d+\\.\\d s ago\\)\\)$`,
          ),
        ),
      ]);
      const line = lines.find((text) => text.startsWith("the topology did not stop"));
      expect(line).toContain(`not settled: supervisor stopping nodes (stubborn-1 (pid ${pid}: SIGTERM`);
      expect(line).toContain(`still running: stubborn-1 (pid ${pid});`);
    } finally {
      // The node the session left behind: `recover` would leave it alone while this process, its parent, lives.
      // Waited for until its supervisor has seen it exit (and unrecorded it), before the folder goes.
      const registry = new PidRegistry(runState(stateDir).pidsPath);
      for (const { pid } of registry.live()) process.kill(pid, "SIGKILL");
      for (let polls = 0; registry.live().length > 0 && polls < 500; polls++) await sleep(20);
    }
  });
});
