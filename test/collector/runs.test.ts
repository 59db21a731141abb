import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../collector/collector.js";
import { openRunStore, type RunEnd, type RunStart } from "../../collector/store/runs.js";
import { FIXTURE_RUNS, storeFixtureRuns } from "../helpers/runs.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-runs-"));
const dbPath = join(folder, "collector.db");
const NOW = Date.UTC(2024, 5, 10, 12, 0, 0);
let collector: Collector;

beforeAll(async () => {
  collector = await startCollector({
    ...DEFAULT_COLLECTOR_OPTIONS,
    dbPath,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    apiPort: 0,
  });
  storeFixtureRuns(dbPath, NOW);
});
afterAll(async () => {
  await collector?.close();
  rmSync(folder, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
async function get(path: string): Promise<{ status: number; type: string; body: any }> {
  const response = await fetch(`${collector.urls.api}${path}`);
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    body: await response.json(),
  };
}

const ids = (runs: { runId: string }[]) => runs.map((run) => run.runId);

const started: RunStart = {
  runId: "live-1",
  groupId: "live-1",
  title: "live run",
  file: "/experiments/live.yaml",
  description: "written while it runs",
  control: null,
  startMs: NOW + 3_600_000,
  faults: [
    {
      id: "a",
      fault: "kill",
      target: { node: "web-1" },
      config: { signal: "KILL" },
      scheduledAtMs: 1000,
      injectedAtMs: null,
      verifiedAtMs: null,
      healedAtMs: null,
      verification: null,
      error: null,
    },
  ],
};

describe("runs in the collector's database", () => {
  it("a database created before runs were stored gains the run tables when opened", () => {
    const old = join(folder, "old.db");
    const db = new Database(old);
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    db.close();
    openRunStore(old).close();
    const reopened = new Database(old, { readonly: true });
    const tables = reopened
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'run%' ORDER BY name")
      .all();
    reopened.close();
    expect(tables).toEqual([
      { name: "run_failing_requests" },
      { name: "run_faults" },
      { name: "run_outcomes" },
      { name: "run_phases" },
      { name: "run_series" },
      { name: "runs" },
    ]);
  });

  it("shows a run through the API while it runs, then its final record", async () => {
    const store = openRunStore(dbPath, { owner: { pid: process.pid, startTicks: "1" } });
    try {
      store.start(started);
      const running = (await get("/api/runs/live-1")).body.run;
      expect(running).toMatchObject({
        status: "running",
        verdict: null,
        endMs: null,
        methodStartMs: null,
        phases: [],
        assertions: [],
        faults: [{ id: "a", scheduledAtMs: 1000, injectedAtMs: null, target: { node: "web-1" } }],
      });

      const methodStartMs = started.startMs + 500;
      store.phaseStarted("live-1", "steady-state-before", started.startMs);
      store.phaseEnded("live-1", "steady-state-before", methodStartMs);
      store.phaseStarted("live-1", "method", methodStartMs);
      const injected = {
        ...(started.faults[0] as RunStart["faults"][number]),
        injectedAtMs: methodStartMs + 1000,
        verifiedAtMs: methodStartMs + 1010,
        verification: "pid 42 gone",
      };
      store.fault("live-1", injected);
      const midway = (await get("/api/runs/live-1")).body.run;
      expect(midway.methodStartMs).toBe(methodStartMs);
      expect(midway.phases).toEqual([
        { name: "steady-state-before", startMs: started.startMs, endMs: methodStartMs },
        { name: "method", startMs: methodStartMs, endMs: null },
      ]);
      expect(midway.faults).toEqual([{ ...injected, healedAtMs: null }]);
      const listed = (await get("/api/runs?experiment=LIVE")).body.runs;
      expect(listed).toEqual([expect.objectContaining({ runId: "live-1", status: "running", endMs: null })]);

      const end: RunEnd = {
        runId: "live-1",
        status: "failed",
        verdict: null,
        reason: "assertions failed: x (measured 0.5 ratio, bar ≤ 0.1)",
        endMs: methodStartMs + 9000,
        methodStartMs,
        methodEndMs: methodStartMs + 5000,
        faults: [{ ...injected, healedAtMs: methodStartMs + 3000 }],
        steadyState: { before: [], after: [] },
        assertions: [
          {
            name: "x",
            kind: "error_rate",
            description: null,
            windowLabel: "during a",
            window: { startMs: methodStartMs + 1000, endMs: methodStartMs + 3000 },
            valid: false,
            measured: 0.5,
            unit: "ratio",
            bar: { max: 0.1 },
            reason: "measured 0.5 ratio, bar ≤ 0.1",
            traceIds: ["0123456789abcdef0123456789abcdef"],
          },
          {
            name: "y",
            kind: "sql",
            description: "d",
            windowLabel: "run",
            window: null,
            valid: "unknown",
            measured: null,
            unit: "",
            bar: null,
            reason: "no rows",
            traceIds: [],
          },
        ],
        series: [{ name: "ok", unit: "req/s", points: [{ t: methodStartMs, v: 20 }] }],
        failingRequests: [{ timeMs: methodStartMs + 1200, status: 500, latencyMs: 3.5, traceId: null }],
      };
      store.finish(end);
      const { status, body } = await get("/api/runs/live-1");
      expect(status).toBe(200);
      expect(body.run).toEqual({
        runId: "live-1",
        groupId: "live-1",
        title: "live run",
        file: "/experiments/live.yaml",
        description: "written while it runs",
        control: null,
        verdict: null,
        status: "failed",
        reason: end.reason,
        startMs: started.startMs,
        endMs: end.endMs,
        methodStartMs,
        methodEndMs: methodStartMs + 5000,
        phases: [
          { name: "steady-state-before", startMs: started.startMs, endMs: methodStartMs },
          // A phase the engine never closed ends with the run.
          { name: "method", startMs: methodStartMs, endMs: end.endMs },
        ],
        faults: end.faults,
        assertions: end.assertions,
        steadyState: { before: [], after: [] },
        series: end.series,
        failingRequests: end.failingRequests,
        related: [],
      });
      const summary = (await get("/api/runs?experiment=live.yaml")).body.runs[0];
      expect(summary.assertions).toEqual({ total: 2, passed: 0, failed: 1, unknown: 1 });
      expect(Object.keys(summary).sort()).toEqual(
        [
          "runId",
          "groupId",
          "title",
          "file",
          "control",
          "verdict",
          "status",
          "reason",
          "startMs",
          "endMs",
          "methodStartMs",
          "methodEndMs",
          "assertions",
        ].sort(),
      );
    } finally {
      store.close();
    }
  });

  it("marks running runs whose engine is gone as aborted, and leaves live engines' runs alone", async () => {
    const store = openRunStore(dbPath, { owner: { pid: 999_999, startTicks: "7" } });
    try {
      const startMs = NOW + 7_200_000;
      store.start({ ...started, runId: "orphan-1", groupId: "orphan-1", startMs });
      store.phaseStarted("orphan-1", "method", startMs + 1000);
      const aborted = store.abortOrphans((owner) => owner.pid !== 999_999, startMs + 5000);
      expect(aborted).toEqual(["orphan-1"]);
      const run = (await get("/api/runs/orphan-1")).body.run;
      expect(run).toMatchObject({
        status: "aborted",
        endMs: startMs + 5000,
        reason: "aborted: the engine (pid 999999) ended without finishing the run",
        phases: [{ name: "method", startMs: startMs + 1000, endMs: startMs + 5000 }],
      });
      // The fixture's running run has no recorded engine, so it cannot be judged and stays running.
      expect((await get(`/api/runs/${FIXTURE_RUNS.runningRunId}`)).body.run.status).toBe("running");
    } finally {
      store.close();
    }
  });
});

describe("GET /api/runs", () => {
  it("lists every run newest first by default, with summaries of their assertions", async () => {
    const { status, body } = await get("/api/runs?experiment=fixtures%2F");
    expect(status).toBe(200);
    expect(ids(body.runs)).toEqual([
      FIXTURE_RUNS.runningRunId,
      FIXTURE_RUNS.controlRunId,
      FIXTURE_RUNS.experimentRunId,
    ]);
    const [running, control, experiment] = body.runs;
    expect(experiment).toMatchObject({
      groupId: FIXTURE_RUNS.groupId,
      control: null,
      verdict: null,
      status: "passed",
      assertions: { total: 3, passed: 2, failed: 0, unknown: 1 },
    });
    expect(control).toMatchObject({
      groupId: FIXTURE_RUNS.groupId,
      control: { name: "cache defenses off", disable: ["bloom_filter", "null_caching"] },
      verdict: "failed-as-expected",
      status: "failed",
      assertions: { total: 3, passed: 1, failed: 1, unknown: 1 },
    });
    expect(running).toMatchObject({ status: "running", endMs: null, methodEndMs: null });
  });

  it("windows by run start, filters by file or title, and limits", async () => {
    const controlStart = NOW - 19 * 60_000;
    expect(ids((await get(`/api/runs?start=${controlStart}&end=${NOW}`)).body.runs)).toEqual([
      FIXTURE_RUNS.runningRunId,
      FIXTURE_RUNS.controlRunId,
    ]);
    expect(ids((await get(`/api/runs?end=${controlStart}`)).body.runs)).toEqual([
      FIXTURE_RUNS.experimentRunId,
    ]);
    expect(ids((await get("/api/runs?experiment=Catalog%20Replica")).body.runs)).toEqual([
      FIXTURE_RUNS.controlRunId,
      FIXTURE_RUNS.experimentRunId,
    ]);
    expect(ids((await get("/api/runs?experiment=ledger-pause.yaml")).body.runs)).toEqual([
      FIXTURE_RUNS.runningRunId,
    ]);
    expect((await get("/api/runs?experiment=fixtures%2F&limit=1")).body.runs).toHaveLength(1);
  });

  it("answers 400 for a malformed window, limit or an unknown parameter", async () => {
    for (const query of ["start=yesterday", "limit=0", "start=now&end=now-1h", "experment=x"]) {
      const { status, type, body } = await get(`/api/runs?${query}`);
      expect(status, query).toBe(400);
      expect(type).toMatch(/application\/problem\+json/);
      expect(body.type).toBe("urn:shakedown:problem:invalid-parameter");
    }
  });
});

describe("GET /api/runs/{runId}", () => {
  it("gives a run with its phases, faults, outcomes, evidence and the other runs of its group", async () => {
    const { body } = await get(`/api/runs/${FIXTURE_RUNS.controlRunId}`);
    const run = body.run;
    expect(run.description).toBe("reads keep working while one catalog replica is down");
    expect(run.phases.map((p: { name: string }) => p.name)).toEqual([
      "steady-state-before",
      "method",
      "steady-state-after",
    ]);
    expect(
      run.faults.map((f: { id: string; healedAtMs: number }) => [f.id, f.healedAtMs - run.methodStartMs]),
    ).toEqual([
      ["kill-catalog", 15_000],
      ["slow-redis", 25_000],
    ]);
    expect(run.steadyState.before[0]).toMatchObject({
      name: "home page answers",
      valid: true,
      measured: 200,
    });
    expect(run.assertions[0]).toMatchObject({
      valid: false,
      bar: { max: 0.01 },
      traceIds: [FIXTURE_RUNS.failingTraceId],
    });
    expect(run.series.map((s: { name: string }) => s.name)).toEqual(["ok", "failed", "p99 latency"]);
    expect(run.series[0].points[0]).toEqual({ t: run.methodStartMs, v: 50 });
    expect(run.failingRequests[1]).toEqual({
      timeMs: run.methodStartMs + 6100,
      status: null,
      latencyMs: null,
      traceId: null,
    });
    expect(ids(run.related)).toEqual([FIXTURE_RUNS.experimentRunId]);
    expect(run.related[0].assertions).toEqual({ total: 3, passed: 2, failed: 0, unknown: 1 });
  });

  it("answers 404 for an unknown run and 400 for a malformed id", async () => {
    const missing = await get("/api/runs/no-such-run");
    expect(missing.status).toBe(404);
    expect(missing.type).toMatch(/application\/problem\+json/);
    expect(missing.body).toMatchObject({
      type: "urn:shakedown:problem:not-found",
      detail: "run no-such-run not found",
    });
    const malformed = await get("/api/runs/bad%20id!");
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ parameter: "runId" });
    expect((await get(`/api/runs/${"x".repeat(200)}`)).status).toBe(400);
  });
});
