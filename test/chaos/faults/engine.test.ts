import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExperiments } from "../../../chaos/engine/run.js";
import { openTelemetry } from "../../../chaos/engine/telemetry.js";
import { parseExperiment } from "../../../chaos/experiment/validate.js";
import { processState } from "../../../chaos/faults/process.js";
import { faultCatalog } from "../../../chaos/faults/registry.js";
import { MemoryJournal } from "../../../chaos/journal/write-ahead.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { testNodes } from "./fixtures/topology.js";

function experiment(method: string, extra = "") {
  const text = `title: engine test
steadyState:
  probes:
    - { name: web answers, kind: http, service: web, path: /, min: 200, max: 299 }
${extra}method:
${method}`;
  return parseExperiment(text, "engine.yaml", { faults: faultCatalog() });
}

describe("running experiments against a real topology", () => {
  const supervisor = new Supervisor();
  beforeAll(async () => {
    await supervisor.start(await testNodes());
  });
  afterAll(() => supervisor.stopAll());

  const run = async (experiments: ReturnType<typeof experiment>[]) => {
    const journal = new MemoryJournal();
    const outcome = await runExperiments(experiments, {
      topology: supervisor,
      journal,
      telemetry: openTelemetry("/nonexistent/shakedown.db").telemetry,
      seed: 3,
    });
    return { ...outcome, journal };
  };

  it("an experiment aimed at a node that does not exist, or a role with no node, ends in error, not in a pass", async () => {
    const { reports, journal } = await run([
      experiment("  - { at: 0s, fault: kill, target: { node: catalog-7 }, duration: 1s }\n"),
      experiment("  - { at: 0s, fault: pause, target: { role: catalog, pick: one }, duration: 1s }\n"),
    ]);
    expect(reports.map((report) => report.status)).toEqual(["error", "error"]);
    expect(reports[0]?.reason).toMatch(/no node named catalog-7 \(nodes: web-1, web-2, app-1\)/);
    expect(reports[1]?.reason).toMatch(/no node has role catalog \(roles: web, app\)/);
    const types = journal.records.map((record) => record.type);
    expect(types.filter((type) => type === "intent")).toHaveLength(2);
    expect(types.filter((type) => type === "healed")).toHaveLength(2);
    expect(supervisor.statuses().every((node) => node.state === "healthy")).toBe(true);
  });

  it("a pause under flood is injected, verified and healed, and the flood's outcomes are the run's evidence", async () => {
    const load = `load:
  flood: { ratePerSecond: 40, duration: 1s, timeout: 200ms, request: { service: web, path: / } }
`;
    const { reports, evidence } = await run([
      experiment(
        "  - { at: 200ms, fault: pause, target: { role: web, pick: one }, duration: 400ms }\n",
        load,
      ),
    ]);
    const report = reports[0];
    expect(report?.status).toBe("passed");
    const window = report?.run.faults[0];
    expect(window?.verification).toMatchObject({ tookEffect: true });
    expect(window?.healedAtMillis).not.toBeNull();
    expect(supervisor.pids().every((pid) => processState(pid) !== "T")).toBe(true);
    const runEvidence = evidence[report?.run.runId as string];
    const ok = runEvidence?.series.find((series) => series.name === "ok")?.points ?? [];
    expect(ok.reduce((sum, point) => sum + point.value, 0)).toBeGreaterThan(0);
    expect(
      runEvidence?.failingRequests.every((request) => /^[0-9a-f]{32}$/.test(request.traceId ?? "")),
    ).toBe(true);
  });

  it("a negative control turns the named switch off during its run and back on after", async () => {
    const control = `controls:
  - { name: without the guard, disable: [demo_guard] }
`;
    const { reports } = await run([experiment("  - { at: 0s, fault: noop }\n", control)]);
    const controlRun = reports[0]?.controls[0];
    expect(controlRun?.run?.events.map((event) => event.op)).toContain("disable-defense");
    // The experiment has no assertion the guard changes, so its control passes: the experiment has no teeth.
    expect(controlRun?.verdict).toBe("passed-unexpectedly");
    expect(reports[0]?.status).toBe("failed");
    const admin = supervisor.status("app-1").ports.admin;
    const state = (await (await fetch(`http://127.0.0.1:${admin}/control`)).json()) as {
      switches: Record<string, boolean>;
    };
    expect(state.switches.demo_guard).toBe(true);
  });
});
