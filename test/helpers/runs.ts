import { type Outcome, openRunStore, type RunSeries } from "../../collector/store/runs.js";

/** The ids `storeFixtureRuns` writes, for tests to look up. */
export const FIXTURE_RUNS = {
  /** "kill a catalog replica": passed; its group also holds the control run. */
  experimentRunId: "fixture-run-1",
  /** The same experiment with the cache defenses off: failed, as a negative control should. */
  controlRunId: "fixture-run-2",
  groupId: "fixture-run-1",
  /** "pause the ledger": still running, mid-method, one fault injected and not yet healed. */
  runningRunId: "fixture-run-3",
  failingTraceId: "f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1",
} as const;

function perSecond(startMs: number, seconds: number, value: (second: number) => number): RunSeries["points"] {
  return Array.from({ length: seconds }, (_, second) => ({ t: startMs + second * 1000, v: value(second) }));
}

function outcome(fields: Partial<Outcome> & Pick<Outcome, "name" | "kind" | "valid">): Outcome {
  return {
    description: null,
    windowLabel: "run",
    window: null,
    measured: null,
    unit: "ratio",
    bar: null,
    reason: null,
    traceIds: [],
    ...fields,
  };
}

/**
 * Writes three runs into the Shakedown database at `dbPath` through the real RunStore, dated relative to
 * `nowMs` so that default time ranges show them: a finished experiment run (20 minutes ago) and its negative
 * control, each with phases, fault windows, steady-state probes, assertions, ground-truth series and failing
 * requests; and a run still going (started a minute ago). Safe beside a running collector.
 */
export function storeFixtureRuns(dbPath: string, nowMs: number = Date.now()): typeof FIXTURE_RUNS {
  const store = openRunStore(dbPath);
  try {
    const base = nowMs - 20 * 60_000;
    const control = {
      name: "cache defenses off",
      description: "without the Bloom filter misses reach the database",
      disable: ["bloom_filter", "null_caching"],
    };
    const experiment = {
      groupId: FIXTURE_RUNS.groupId,
      title: "kill a catalog replica",
      file: "fixtures/experiments/catalog-kill.yaml",
      description: "reads keep working while one catalog replica is down",
    };
    const faults = (methodStartMs: number, healed: boolean) => [
      {
        id: "kill-catalog",
        fault: "kill",
        target: { role: "catalog", pick: "one" },
        config: {},
        scheduledAtMs: 5000,
        injectedAtMs: methodStartMs + 5000,
        verifiedAtMs: methodStartMs + 5040,
        healedAtMs: healed ? methodStartMs + 15_000 : null,
        verification: "pid 4121 gone",
        error: null,
      },
      {
        id: "slow-redis",
        fault: "latency",
        target: { link: { from: "catalog", to: "redis" } },
        config: { latency: "200ms" },
        scheduledAtMs: 20_000,
        injectedAtMs: methodStartMs + 20_000,
        verifiedAtMs: methodStartMs + 20_100,
        healedAtMs: methodStartMs + 25_000,
        verification: "probe took 203 ms",
        error: null,
      },
    ];
    const write = (runId: string, startMs: number, isControl: boolean) => {
      const methodStartMs = startMs + 2000;
      const methodEndMs = methodStartMs + 30_000;
      const endMs = methodEndMs + 8000;
      store.start({
        ...experiment,
        runId,
        control: isControl ? control : null,
        startMs,
        faults: faults(methodStartMs, false).map((f) => ({
          ...f,
          injectedAtMs: null,
          verifiedAtMs: null,
          healedAtMs: null,
          verification: null,
        })),
      });
      store.phaseStarted(runId, "steady-state-before", startMs + 100);
      store.phaseEnded(runId, "steady-state-before", methodStartMs);
      store.phaseStarted(runId, "method", methodStartMs);
      store.phaseEnded(runId, "method", methodEndMs);
      store.phaseStarted(runId, "steady-state-after", methodEndMs);
      store.phaseEnded(runId, "steady-state-after", methodEndMs + 500);
      const during = { startMs: methodStartMs + 5000, endMs: methodStartMs + 15_000 };
      const errorRatio = isControl ? 0.31 : 0.004;
      store.finish({
        runId,
        status: isControl ? "failed" : "passed",
        verdict: isControl ? "failed-as-expected" : null,
        reason: isControl ? `assertions failed: few errors (measured ${errorRatio} ratio, bar ≤ 0.01)` : null,
        endMs,
        methodStartMs,
        methodEndMs,
        faults: faults(methodStartMs, true),
        steadyState: {
          before: [
            outcome({
              name: "home page answers",
              kind: "http",
              windowLabel: "",
              valid: true,
              measured: 200,
              unit: "status",
              bar: { min: 200, max: 299 },
            }),
          ],
          after: [
            outcome({
              name: "home page answers",
              kind: "http",
              windowLabel: "",
              valid: true,
              measured: 200,
              unit: "status",
              bar: { min: 200, max: 299 },
            }),
          ],
        },
        assertions: [
          outcome({
            name: "few errors",
            kind: "error_rate",
            description: "the other replica takes the reads",
            windowLabel: "during kill-catalog",
            window: during,
            valid: !isControl,
            measured: errorRatio,
            bar: { max: 0.01 },
            reason: isControl ? `measured ${errorRatio} ratio, bar ≤ 0.01` : null,
            traceIds: isControl ? [FIXTURE_RUNS.failingTraceId] : [],
          }),
          outcome({
            name: "p99 latency",
            kind: "latency_quantile",
            windowLabel: "run",
            window: { startMs: methodStartMs, endMs: methodEndMs },
            valid: true,
            measured: 182,
            unit: "ms",
            bar: { max: 500 },
          }),
          outcome({
            name: "breaker opened",
            kind: "metric_count",
            windowLabel: "during kill-catalog",
            window: during,
            valid: "unknown",
            unit: "count",
            bar: { min: 1 },
            reason: "no series named rpc_breaker_transitions_total",
          }),
        ],
        series: [
          {
            name: "ok",
            unit: "req/s",
            points: perSecond(methodStartMs, 30, (s) => (s >= 5 && s < 15 ? 35 : 50)),
          },
          {
            name: "failed",
            unit: "req/s",
            points: perSecond(methodStartMs, 30, (s) => (s >= 5 && s < 15 ? (isControl ? 15 : 1) : 0)),
          },
          { name: "p99 latency", unit: "ms", points: perSecond(methodStartMs, 30, (s) => 40 + (s % 7) * 10) },
        ],
        failingRequests: [
          {
            timeMs: methodStartMs + 5200,
            status: 503,
            latencyMs: 12.5,
            traceId: FIXTURE_RUNS.failingTraceId,
          },
          { timeMs: methodStartMs + 6100, status: null, latencyMs: null, traceId: null },
        ],
      });
    };
    write(FIXTURE_RUNS.experimentRunId, base, false);
    write(FIXTURE_RUNS.controlRunId, base + 60_000, true);

    const runningStartMs = nowMs - 60_000;
    const methodStartMs = runningStartMs + 1000;
    store.start({
      runId: FIXTURE_RUNS.runningRunId,
      groupId: FIXTURE_RUNS.runningRunId,
      title: "pause the ledger",
      file: "fixtures/experiments/ledger-pause.yaml",
      description: null,
      control: null,
      startMs: runningStartMs,
      faults: [
        {
          id: "pause",
          fault: "pause",
          target: { role: "ledger", pick: "one" },
          config: {},
          scheduledAtMs: 10_000,
          injectedAtMs: null,
          verifiedAtMs: null,
          healedAtMs: null,
          verification: null,
          error: null,
        },
      ],
    });
    store.phaseStarted(FIXTURE_RUNS.runningRunId, "steady-state-before", runningStartMs);
    store.phaseEnded(FIXTURE_RUNS.runningRunId, "steady-state-before", methodStartMs);
    store.phaseStarted(FIXTURE_RUNS.runningRunId, "method", methodStartMs);
    store.fault(FIXTURE_RUNS.runningRunId, {
      id: "pause",
      fault: "pause",
      target: { role: "ledger", pick: "one" },
      config: {},
      scheduledAtMs: 10_000,
      injectedAtMs: methodStartMs + 10_000,
      verifiedAtMs: methodStartMs + 10_020,
      healedAtMs: null,
      verification: "state T (stopped)",
      error: null,
    });
    return FIXTURE_RUNS;
  } finally {
    store.close();
  }
}
