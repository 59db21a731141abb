import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { abortOrphanedRuns, StoringObserver } from "../../../chaos/engine/run-store.js";
import type { FaultUnit } from "../../../chaos/experiment/fault-unit.js";
import { InMemoryTelemetry } from "../../../chaos/experiment/telemetry.js";
import type { Experiment } from "../../../chaos/experiment/types.js";
import { MemoryJournal } from "../../../chaos/journal/write-ahead.js";
import { evidenceFromRequests } from "../../../chaos/report/evidence.js";
import { processStartTicks } from "../../../chaos/supervisor/pid-registry.js";
import { SimulatedClock } from "../../../chaos/timeline/clock.js";
import { type Engine, emptyHistory, idleLoad } from "../../../chaos/timeline/engine.js";
import { runExperiment } from "../../../chaos/timeline/runner.js";
import { getRun, type RunDetail } from "../../../collector/query/runs.js";
import { openRunStore } from "../../../collector/store/runs.js";
import { openDatabase } from "../../../collector/store/schema.js";

const START = 1_700_000_000_000;
const folder = mkdtempSync(join(tmpdir(), "shakedown-run-store-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A fault that does nothing but can be told to run code at its inject, and to not take effect. */
function fault(name: string, options: { onInject?: () => void; tookEffect?: boolean } = {}): FaultUnit {
  return {
    name,
    description: "test fault",
    async inject(target) {
      options.onInject?.();
      return { target };
    },
    async verify() {
      const tookEffect = options.tookEffect ?? true;
      return { tookEffect, evidence: tookEffect ? `${name} took` : `${name} missed` };
    },
    async heal() {},
  };
}

const experiment: Experiment = {
  file: "/experiments/store.yaml",
  title: "stored live",
  description: "two faults, one control",
  profile: "default",
  topology: { env: {}, network: "loopback" },
  steadyState: { title: null, probes: [] },
  load: null,
  method: [
    { id: "a", fault: "kill", atMillis: 1000, target: { node: "web-1" }, config: {}, durationMillis: 2000 },
    { id: "b", fault: "pause", atMillis: 5000, target: { role: "web" }, config: {}, durationMillis: 1000 },
  ],
  assertions: [
    {
      name: "few errors",
      kind: "error_rate",
      description: null,
      window: { anchor: "during", fault: "a", offsetMillis: 0 },
      bar: { max: 0.5 },
      params: { service: "web" },
    },
  ],
  controls: [{ name: "breaker off", description: "no breaker", disable: ["breaker"], expect: "fail" }],
  rollbacks: [],
};

function engineWith(
  db: string,
  faults: FaultUnit[],
  spans: boolean,
): { engine: Engine; reader: Database.Database } {
  const clock = new SimulatedClock(START);
  let ids = 0;
  const requests = [
    { timeMillis: START + 1500, status: 503, latencyMillis: 4, traceId: "ab".repeat(16) },
    { timeMillis: START + 1600, status: 200, latencyMillis: 2 },
  ];
  return {
    engine: {
      clock,
      faults: Object.fromEntries(faults.map((unit) => [unit.name, unit])),
      journal: new MemoryJournal(),
      telemetry: new InMemoryTelemetry(
        spans
          ? [1500, 7500].map((offset) => ({
              service: "web",
              startMillis: START + offset,
              durationMillis: 5,
              error: false,
            }))
          : [],
      ),
      http: { request: async () => ({ status: 200 }) },
      load: idleLoad,
      history: emptyHistory,
      switches: { set: async () => {} },
      newRunId: () => `run-${++ids}`,
      observer: new StoringObserver(openRunStore(db), () => evidenceFromRequests(requests)),
    },
    reader: openDatabase(db, { readonly: true }),
  };
}

describe("runs written live by the engine", () => {
  it("are readable while they run, and end with their record, evidence and group", async () => {
    const db = join(folder, "live.db");
    let midway: RunDetail | undefined;
    let reader: Database.Database | undefined;
    const built = engineWith(
      db,
      [
        fault("kill"),
        fault("pause", { onInject: () => (midway ??= getRun(reader as Database.Database, "run-1").run) }),
      ],
      true,
    );
    reader = built.reader;
    const report = await runExperiment(experiment, built.engine);
    expect(report.run.status).toBe("passed");

    expect(midway).toMatchObject({
      status: "running",
      endMs: null,
      methodStartMs: START,
      phases: [
        { name: "steady-state-before", startMs: START, endMs: START },
        { name: "method", startMs: START, endMs: null },
      ],
      faults: [
        { id: "a", injectedAtMs: START + 1000, verifiedAtMs: START + 1000, healedAtMs: START + 3000 },
        { id: "b", injectedAtMs: START + 5000, verifiedAtMs: null, healedAtMs: null },
      ],
    });

    const run = getRun(reader, "run-1").run;
    expect(run).toMatchObject({
      groupId: "run-1",
      control: null,
      verdict: null,
      status: "passed",
      description: "two faults, one control",
      methodEndMs: START + 6000,
      assertions: [
        {
          name: "few errors",
          valid: true,
          measured: 0,
          window: { startMs: START + 1000, endMs: START + 3000 },
          bar: { max: 0.5 },
        },
      ],
      failingRequests: [{ timeMs: START + 1500, status: 503, latencyMs: 4, traceId: "ab".repeat(16) }],
    });
    expect(run.faults[1]).toEqual({
      id: "b",
      fault: "pause",
      target: { role: "web" },
      config: {},
      scheduledAtMs: 5000,
      injectedAtMs: START + 5000,
      verifiedAtMs: START + 5000,
      healedAtMs: START + 6000,
      verification: "pause took",
      error: null,
    });
    expect(run.series.map((series) => [series.name, series.points])).toEqual([
      ["ok", [{ t: START + 1000, v: 1 }]],
      ["failed", [{ t: START + 1000, v: 1 }]],
      ["p99 latency", [{ t: START + 1000, v: 4 }]],
    ]);
    // The control passed, as its spans show no errors either: the control did not see the defense.
    expect(run.related).toEqual([
      expect.objectContaining({
        runId: "run-2",
        groupId: "run-1",
        control: { name: "breaker off", description: "no breaker", disable: ["breaker"] },
        verdict: "passed-unexpectedly",
        status: "passed",
      }),
    ]);
    reader.close();
  });

  it("store a fault that did not take effect with why, and an error run's unmeasured assertions", async () => {
    const db = join(folder, "missed.db");
    const { engine, reader } = engineWith(db, [fault("kill", { tookEffect: false }), fault("pause")], false);
    await runExperiment({ ...experiment, controls: [] }, engine);
    const run = getRun(reader, "run-1").run;
    expect(run.status).toBe("error");
    expect(run.reason).toBe("fault a (kill) did not take effect: kill missed");
    expect(run.faults[0]).toMatchObject({
      verification: "kill missed",
      error: "did not take effect: kill missed",
    });
    expect(run.faults[1]).toMatchObject({ injectedAtMs: null, healedAtMs: null });
    expect(run.assertions[0]).toMatchObject({ valid: "unknown", window: null, measured: null });
    expect(run.phases.at(-1)).toEqual({ name: "method", startMs: START, endMs: START + 1000 });
    reader.close();
  });
});

describe("abortOrphanedRuns", () => {
  it("marks a run whose engine process is gone as aborted, and keeps one whose engine lives", () => {
    const db = join(folder, "orphans.db");
    const dead = spawnSync(
      process.execPath,
      ["-e", "console.log(require('node:fs').readFileSync('/proc/self/stat', 'utf8'))"],
      {
        encoding: "utf8",
      },
    );
    const deadTicks = dead.stdout.slice(dead.stdout.lastIndexOf(")") + 2).split(" ")[19] as string;
    const start = (runId: string, owner: { pid: number; startTicks: string }) => {
      const store = openRunStore(db, { owner });
      store.start({
        runId,
        groupId: runId,
        title: "t",
        file: "f",
        description: null,
        control: null,
        startMs: START,
        faults: [],
      });
      store.close();
    };
    start("crashed", { pid: dead.pid as number, startTicks: deadTicks });
    start("alive", { pid: process.pid, startTicks: processStartTicks(process.pid) as string });
    expect(abortOrphanedRuns([db, join(folder, "absent.db")], START + 9000)).toEqual([
      `marked run crashed in ${db} aborted: its engine is gone`,
    ]);
    const reader = openDatabase(db, { readonly: true });
    expect(getRun(reader, "crashed").run).toMatchObject({ status: "aborted", endMs: START + 9000 });
    expect(getRun(reader, "alive").run.status).toBe("running");
    reader.close();
  });
});
