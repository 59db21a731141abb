import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { FaultUnit, Injection, JsonObject, Target } from "../../../chaos/experiment/fault-unit.js";
import { InMemoryTelemetry, type RecordedSpan } from "../../../chaos/experiment/telemetry.js";
import type { Experiment, FaultAction, Measurement } from "../../../chaos/experiment/types.js";
import { FileJournal, MemoryJournal, pendingInjections } from "../../../chaos/journal/write-ahead.js";
import { type Clock, SimulatedClock } from "../../../chaos/timeline/clock.js";
import { type Engine, emptyHistory, type LoadDriver } from "../../../chaos/timeline/engine.js";
import { noObserver, type RunObserver } from "../../../chaos/timeline/observer.js";
import type { FaultWindow } from "../../../chaos/timeline/record.js";
import { runExperiment, runOnce } from "../../../chaos/timeline/runner.js";

const START = 1_700_000_000_000;

/** A fault unit that records every call; `verifyTakesEffect` and the throw options steer it. */
class FakeFault implements FaultUnit {
  readonly description = "test fault";
  readonly calls: string[] = [];
  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly options: {
      tookEffect?: boolean;
      injectThrows?: boolean;
      healThrows?: boolean;
      hang?: "inject" | "verify";
      onInject?: () => void;
    } = {},
  ) {}
  async inject(target: Target, _config: JsonObject): Promise<Injection> {
    this.options.onInject?.();
    this.calls.push(`inject ${JSON.stringify(target)} @${this.clock.now() - START}`);
    if (this.options.injectThrows) throw new Error(`no node matches ${JSON.stringify(target)}`);
    if (this.options.hang === "inject") await new Promise(() => {});
    return { target, pid: 42 };
  }
  async verify(injection: Injection) {
    this.calls.push(`verify ${injection.pid}`);
    if (this.options.hang === "verify") await new Promise(() => {});
    const tookEffect = this.options.tookEffect ?? true;
    return { tookEffect, evidence: tookEffect ? "pid 42 gone" : "pid 42 still running" };
  }
  async heal(injection: Injection) {
    this.calls.push(`heal ${injection.pid} @${this.clock.now() - START}`);
    if (this.options.healThrows) throw new Error("heal refused");
  }
}

function action(id: string, fault: string, atMillis: number, durationMillis: number | null): FaultAction {
  return { id, fault, atMillis, target: { node: id }, config: {}, durationMillis };
}

function experiment(overrides: Partial<Experiment> = {}): Experiment {
  return {
    file: "test.yaml",
    title: "test",
    description: null,
    profile: "default",
    topology: { env: {}, network: "loopback" },
    steadyState: { title: null, probes: [] },
    load: {
      type: "flood",
      ratePerSecond: 10,
      durationMillis: 30_000,
      timeoutMillis: 1000,
      request: { method: "GET", service: "gateway", path: "/", headers: {}, body: null },
    },
    method: [action("a", "kill", 5000, 10_000), action("b", "pause", 10_000, null)],
    assertions: [],
    controls: [],
    rollbacks: [],
    ...overrides,
  };
}

function errorRate(name: string, window: Measurement["window"], max: number): Measurement {
  return {
    name,
    kind: "error_rate",
    description: null,
    window,
    bar: { max },
    params: { service: "gateway" },
  };
}

function setup(
  options: { faults?: (clock: Clock) => FaultUnit[]; spans?: RecordedSpan[]; signal?: AbortSignal } = {},
) {
  const clock = new SimulatedClock(START);
  const journal = new MemoryJournal();
  const switches: string[] = [];
  const faults = options.faults?.(clock) ?? [new FakeFault("kill", clock), new FakeFault("pause", clock)];
  const loadEvents: string[] = [];
  const load: LoadDriver = {
    async start(spec, signal) {
      loadEvents.push(`start @${clock.now() - START}`);
      return {
        done: clock.sleep(spec.durationMillis, signal).then(() => {
          loadEvents.push(`done @${clock.now() - START}`);
        }),
        stop: async () => {
          loadEvents.push(`stop @${clock.now() - START}`);
        },
      };
    },
  };
  let ids = 0;
  const engine: Engine = {
    clock,
    faults: Object.fromEntries(faults.map((fault) => [fault.name, fault])),
    journal,
    telemetry: new InMemoryTelemetry(options.spans ?? []),
    http: { request: async () => ({ status: 200 }) },
    load,
    history: emptyHistory,
    switches: {
      async set(name, enabled) {
        switches.push(`${name}=${enabled}`);
      },
    },
    newRunId: () => `run-${++ids}`,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  return { clock, journal, switches, faults: faults as FakeFault[], loadEvents, engine };
}

const at = (events: readonly { timeMillis: number; op: string; actionId?: string; detail?: string }[]) =>
  events.map(
    (e) =>
      `${e.timeMillis - START} ${e.op}${e.actionId ? ` ${e.actionId}` : ""}${e.detail ? ` ${e.detail}` : ""}`,
  );

describe("the run loop on a simulated clock", () => {
  it("checks, loads, injects, verifies and heals in the exact order and at the scheduled times", async () => {
    const { engine, journal, faults, loadEvents } = setup();
    const record = await runOnce(experiment(), engine);
    expect(record.status).toBe("passed");
    expect(at(record.events)).toEqual([
      "0 check-steady-state before",
      "0 start-method",
      "0 start-load",
      "5000 journal-intent a",
      "5000 inject a",
      "5000 verify a",
      "10000 journal-intent b",
      "10000 inject b",
      "10000 verify b",
      "15000 heal a",
      "30000 heal b",
      "30000 await-load",
      "30000 end-method",
      "30000 check-steady-state after",
    ]);
    expect(loadEvents).toEqual(["start @0", "done @30000"]);
    expect(faults[0]?.calls).toEqual(['inject {"node":"a"} @5000', "verify 42", "heal 42 @15000"]);
    expect(journal.records.map((r) => `${r.type}${"actionId" in r ? ` ${r.actionId}` : ""}`)).toEqual([
      "run-started",
      "intent a",
      "injected a",
      "intent b",
      "injected b",
      "healed a",
      "healed b",
      "run-ended",
    ]);
    expect(record.faults[0]).toMatchObject({
      injectedAtMillis: START + 5000,
      verifiedAtMillis: START + 5000,
      healedAtMillis: START + 15_000,
      verification: { tookEffect: true, evidence: "pid 42 gone" },
    });
  });

  it("measures assertions in windows resolved from the fault's actual times", async () => {
    const span = (offsetMillis: number, error: boolean): RecordedSpan => ({
      service: "gateway",
      startMillis: START + offsetMillis,
      durationMillis: 5,
      error,
    });
    const spans = [
      span(1000, false),
      span(6000, true),
      span(7000, false),
      span(16_000, false),
      span(20_000, false),
    ];
    const { engine } = setup({ spans });
    const record = await runOnce(
      experiment({
        assertions: [
          errorRate("clean before", { anchor: "before", fault: "a", lengthMillis: null }, 0),
          errorRate("half during", { anchor: "during", fault: "a", offsetMillis: 0 }, 0.5),
          errorRate("clean after", { anchor: "after", fault: "a", offsetMillis: 0, lengthMillis: 10_000 }, 0),
        ],
      }),
      engine,
    );
    expect(record.status).toBe("passed");
    expect(record.assertions.map((a) => [a.name, a.measured, a.valid, a.window])).toEqual([
      ["clean before", 0, true, { startMillis: START, endMillis: START + 5000, endsAtInjection: true }],
      [
        "half during",
        0.5,
        true,
        { startMillis: START + 5000, endMillis: START + 15_000, startsAtInjection: true },
      ],
      ["clean after", 0, true, { startMillis: START + 15_000, endMillis: START + 25_000 }],
    ]);
  });

  it("counts a request in flight at the injection as the fault's, not as the steady state's before it", async () => {
    // Fault a is injected at 5 s: the request started at 4.99 s is still running then, and fails.
    const spans: RecordedSpan[] = [
      { service: "gateway", startMillis: START + 1000, durationMillis: 5, error: false },
      { service: "gateway", startMillis: START + 4990, durationMillis: 30, error: true },
      { service: "gateway", startMillis: START + 6000, durationMillis: 5, error: false },
    ];
    const { engine } = setup({ spans });
    const record = await runOnce(
      experiment({
        assertions: [
          errorRate("clean before", { anchor: "before", fault: "a", lengthMillis: null }, 0),
          errorRate("caught by the fault", { anchor: "during", fault: "a", offsetMillis: 0 }, 0),
          errorRate("clean from 500 ms in", { anchor: "during", fault: "a", offsetMillis: 500 }, 0),
        ],
      }),
      engine,
    );
    expect(record.assertions.map((a) => [a.name, a.measured, a.details])).toEqual([
      ["clean before", 0, { requests: 1, errors: 0 }],
      ["caught by the fault", 0.5, { requests: 2, errors: 1 }],
      ["clean from 500 ms in", 0, { requests: 1, errors: 0 }],
    ]);
  });

  it("judges right after the method when the engine flushed the telemetry, and waits the lag when it could not", async () => {
    const judgedAfter = async (flushTelemetry: () => Promise<void>) => {
      const { engine } = setup({
        spans: [{ service: "gateway", startMillis: START, durationMillis: 5, error: false }],
      });
      const record = await runOnce(experiment({ assertions: [errorRate("clean", { anchor: "run" }, 0)] }), {
        ...engine,
        telemetryLagMillis: 2500,
        flushTelemetry,
      });
      expect(record.status).toBe("passed");
      return { record, millis: record.endedAtMillis - (record.methodEndedAtMillis ?? 0) };
    };

    const flushed = await judgedAfter(async () => {});
    const unflushed = await judgedAfter(async () => {
      throw new Error("1 of 3 nodes could not flush: catalog-1 got no answer");
    });

    expect(flushed.millis).toBe(0);
    expect(at(flushed.record.events).slice(-2)).toEqual([
      "30000 check-steady-state after",
      "30000 flush-telemetry",
    ]);
    expect(unflushed.millis).toBe(2500);
    expect(at(unflushed.record.events).at(-1)).toBe(
      "30000 flush-telemetry-failed 1 of 3 nodes could not flush: catalog-1 got no answer; waiting out the telemetry lag",
    );
  });

  it("times time_to_detect and time_to_recover from the fault's actual injection and heal", async () => {
    // A request every 250 ms; those starting from 5.5 s until 16 s fail. Fault a: injected 5 s, healed 15 s.
    const spans: RecordedSpan[] = [];
    for (let offset = 0; offset < 30_000; offset += 250) {
      const error = offset >= 5500 && offset < 16_000;
      spans.push({ service: "gateway", startMillis: START + offset, durationMillis: 5, error });
    }
    const decisions = [
      {
        service: "gateway",
        timeMillis: START + 6200,
        attributes: { "shakedown.defense": "rpc.outlier", "shakedown.decision": "ejected" },
      },
    ];
    const { engine } = setup();
    const timed = (name: string, kind: string, params: Measurement["params"], max: number): Measurement => ({
      name,
      kind,
      description: null,
      window: { anchor: "run" },
      bar: { max },
      params,
    });
    const record = await runOnce(
      experiment({
        assertions: [
          timed("errors seen", "time_to_detect", { fault: "a", errors: { service: "gateway" } }, 1000),
          timed(
            "outlier ejected",
            "time_to_detect",
            { fault: "a", decision: { defense: "rpc.outlier" } },
            1000,
          ),
          timed("healthy again", "time_to_recover", { fault: "a", errors: { service: "gateway" } }, 1000),
        ],
      }),
      { ...engine, telemetry: new InMemoryTelemetry(spans, [], decisions) },
    );
    expect(record.assertions.map((a) => [a.name, a.measured, a.valid])).toEqual([
      ["errors seen", 505, true],
      ["outlier ejected", 1200, false],
      // The last failure ends at 15.755 s; the 500 ms steps from 16 s on are clean: 1 s after the heal.
      ["healthy again", 1000, true],
    ]);
    expect(record.status).toBe("failed");
  });

  it("fails the run when an assertion is over its bar, and errs when one has no data", async () => {
    const spans = [{ service: "gateway", startMillis: START + 6000, durationMillis: 5, error: true }];
    const failed = await runOnce(
      experiment({
        assertions: [errorRate("no errors", { anchor: "during", fault: "a", offsetMillis: 0 }, 0)],
      }),
      setup({ spans }).engine,
    );
    expect(failed.status).toBe("failed");
    expect(failed.reason).toBe("assertions failed: no errors (measured 1 ratio, bar ≤ 0)");
    const unknown = await runOnce(
      experiment({ assertions: [errorRate("no data", { anchor: "run" }, 0)] }),
      setup().engine,
    );
    expect(unknown.status).toBe("error");
    expect(unknown.reason).toMatch(/could not be judged: no data \(no request to gateway in the window\)/);
  });

  it("ends in error, never passed, when a fault's verify says it did not take effect, and still heals it", async () => {
    const { engine, faults, journal } = setup({
      faults: (clock) => [new FakeFault("kill", clock, { tookEffect: false }), new FakeFault("pause", clock)],
    });
    const record = await runOnce(experiment({ assertions: [errorRate("x", { anchor: "run" }, 1)] }), engine);
    expect(record.status).toBe("error");
    expect(record.reason).toBe("fault a (kill) did not take effect: pid 42 still running");
    expect(faults[0]?.calls).toEqual(['inject {"node":"a"} @5000', "verify 42", "heal 42 @5000"]);
    expect(faults[1]?.calls).toEqual([]);
    expect(record.assertions.map((a) => [a.name, a.valid, a.reason])).toEqual([
      [
        "x",
        "unknown",
        "not measured: the run ended as error: fault a (kill) did not take effect: pid 42 still running",
      ],
    ]);
    expect(at(record.events).slice(-3)).toEqual(["5000 verify a", "5000 heal a", "5000 stop-load"]);
    expect(journal.records.filter((r) => r.type === "healed")).toHaveLength(1);
  });

  it("heals every injected fault, newest first, when the method throws", async () => {
    const { engine, faults, journal } = setup({
      faults: (clock) => [
        new FakeFault("kill", clock),
        new FakeFault("pause", clock),
        new FakeFault("pause_two", clock),
      ],
    });
    let intents = 0;
    const fullDisk = {
      append(entry: Parameters<MemoryJournal["append"]>[0]) {
        if (entry.type === "intent" && ++intents === 3) throw new Error("ENOSPC: no space left on device");
        journal.append(entry);
      },
    };
    const record = await runOnce(
      experiment({
        method: [
          action("a", "kill", 5000, null),
          action("b", "pause", 10_000, null),
          action("c", "pause_two", 12_000, null),
        ],
      }),
      { ...engine, journal: fullDisk },
    );
    expect(record.status).toBe("error");
    expect(record.reason).toBe("ENOSPC: no space left on device");
    expect(faults[2]?.calls).toEqual([]);
    expect(at(record.events).slice(-4)).toEqual([
      "10000 verify b",
      "12000 heal b",
      "12000 heal a",
      "12000 stop-load",
    ]);
    expect(faults[0]?.calls.at(-1)).toBe("heal 42 @12000");
  });

  it("ends in error when a fault aimed at a wrong target cannot be injected, healing what came before", async () => {
    const { engine, faults, journal } = setup({
      faults: (clock) => [
        new FakeFault("kill", clock),
        new FakeFault("pause", clock, { injectThrows: true }),
      ],
    });
    const record = await runOnce(experiment(), engine);
    expect(record.status).toBe("error");
    expect(record.reason).toBe('fault b (pause) could not be injected: no node matches {"node":"b"}');
    expect(faults[0]?.calls).toEqual(['inject {"node":"a"} @5000', "verify 42", "heal 42 @10000"]);
    expect(journal.records.map((r) => r.type)).toEqual([
      "run-started",
      "intent",
      "injected",
      "intent",
      "healed",
      "healed",
      "run-ended",
    ]);
  });

  it("journals each fault before injecting it", async () => {
    const folder = mkdtempSync(join(tmpdir(), "shakedown-journal-"));
    afterAll(() => rmSync(folder, { recursive: true, force: true }));
    const path = join(folder, "journal.jsonl");
    const seen: unknown[] = [];
    const { engine } = setup({
      faults: (clock) => [
        new FakeFault("kill", clock, { onInject: () => seen.push(...pendingInjections(path)) }),
        new FakeFault("pause", clock),
      ],
    });
    const journal = new FileJournal(path);
    const record = await runOnce(experiment({ method: [action("a", "kill", 0, 1000)] }), {
      ...engine,
      journal,
    });
    journal.close();
    expect(record.status).toBe("passed");
    expect(seen).toEqual([
      {
        runId: "run-1",
        actionId: "a",
        fault: "kill",
        target: { node: "a" },
        config: {},
        injection: null,
        intendedAtMillis: START,
      },
    ]);
    expect(pendingInjections(path)).toEqual([]);
  });

  it("does not run the method when the steady state does not hold before it", async () => {
    const { engine, faults } = setup();
    const probe: Measurement = {
      name: "home page",
      kind: "http",
      description: null,
      window: { anchor: "last", lengthMillis: 10_000 },
      bar: { min: 200, max: 299 },
      params: { service: "gateway", path: "/" },
    };
    const record = await runOnce(experiment({ steadyState: { title: null, probes: [probe] } }), {
      ...engine,
      http: { request: async () => ({ status: 503 }) },
    });
    expect(record.status).toBe("error");
    expect(record.reason).toBe(
      "steady state not met before the method: home page (measured 503 status, bar 200..299)",
    );
    expect(faults[0]?.calls).toEqual([]);
    expect(record.methodStartedAtMillis).toBeNull();
  });

  it("ends as aborted when aborted mid-method, after healing, and skips the controls", async () => {
    const controller = new AbortController();
    const { engine, faults, clock } = setup({ signal: controller.signal });
    void clock.sleep(7000).then(() => controller.abort(new Error("SIGINT")));
    const report = await runExperiment(
      experiment({
        controls: [{ name: "no limiter", description: null, disable: ["rate_limiter"], expect: "fail" }],
      }),
      engine,
    );
    expect(report.status).toBe("aborted");
    expect(report.run.reason).toBe("aborted: SIGINT");
    expect(faults[0]?.calls).toEqual(['inject {"node":"a"} @5000', "verify 42", "heal 42 @7000"]);
    expect(report.controls.map((c) => c.verdict)).toEqual(["skipped"]);
  });

  it("gives up on a verify that hangs at the step deadline, ends in error and heals", async () => {
    const { engine, faults } = setup({
      faults: (clock) => [new FakeFault("kill", clock, { hang: "verify" }), new FakeFault("pause", clock)],
    });
    const record = await runOnce(experiment(), { ...engine, stepTimeoutMillis: 2000 });
    expect(record.status).toBe("error");
    expect(record.reason).toBe(
      "fault a (kill) did not take effect: verify threw: verify of fault a (kill) took longer than 2000 ms",
    );
    expect(faults[0]?.calls).toEqual(['inject {"node":"a"} @5000', "verify 42", "heal 42 @7000"]);
  });

  it("leaves an inject that hangs pending in the journal, since it may still land", async () => {
    const { engine, journal } = setup({
      faults: (clock) => [new FakeFault("kill", clock, { hang: "inject" }), new FakeFault("pause", clock)],
    });
    const record = await runOnce(experiment(), { ...engine, stepTimeoutMillis: 2000 });
    expect(record.status).toBe("error");
    expect(record.reason).toBe("inject of fault a (kill) took longer than 2000 ms; run `shakedown recover`");
    expect(journal.records.map((r) => r.type)).toEqual(["run-started", "intent", "run-ended"]);
  });

  it("reports a heal that fails as an error and leaves it pending in the journal for recover", async () => {
    const { engine, journal } = setup({
      faults: (clock) => [new FakeFault("kill", clock, { healThrows: true }), new FakeFault("pause", clock)],
    });
    const record = await runOnce(experiment({ method: [action("a", "kill", 0, 1000)] }), engine);
    expect(record.status).toBe("error");
    expect(record.errors).toEqual([
      "fault a (kill) could not be healed: heal refused",
      "fault a (kill) could not be healed: heal refused; run `shakedown recover`",
    ]);
    expect(journal.records.filter((r) => r.type === "healed")).toEqual([]);
  });
});

describe("negative controls", () => {
  const controlled = () =>
    experiment({
      method: [action("a", "kill", 5000, 10_000)],
      assertions: [errorRate("few errors", { anchor: "run" }, 0.1)],
      controls: [
        { name: "limiter off", description: null, disable: ["rate_limiter", "bloom_filter"], expect: "fail" },
      ],
    });

  it("turns the defenses off for the control run and back on afterwards, newest first", async () => {
    const spans = [{ service: "gateway", startMillis: START + 6000, durationMillis: 5, error: false }];
    const { engine, switches } = setup({ spans });
    const report = await runExperiment(controlled(), engine);
    expect(switches).toEqual([
      "rate_limiter=false",
      "bloom_filter=false",
      "bloom_filter=true",
      "rate_limiter=true",
    ]);
    expect(report.controls[0]?.run?.events.slice(0, 3).map((e) => `${e.op} ${e.detail}`)).toEqual([
      "disable-defense rate_limiter",
      "disable-defense bloom_filter",
      "check-steady-state before",
    ]);
  });

  it("keeps the control's defenses off until its ground truth is collected, so late effects count against it", async () => {
    const spans = [{ service: "gateway", startMillis: START + 6000, durationMillis: 5, error: false }];
    const { engine, switches } = setup({ spans });
    const seenWhenCollected: string[][] = [];
    const history = {
      async collect() {
        seenWhenCollected.push([...switches]);
        return {};
      },
    };
    const checked = controlled();
    const noop: Measurement = {
      name: "ground truth read",
      kind: "checker",
      description: null,
      window: { anchor: "run" },
      bar: {},
      params: { checker: "noop" },
    };
    await runExperiment({ ...checked, assertions: [...checked.assertions, noop] }, { ...engine, history });
    expect(seenWhenCollected).toEqual([[], ["rate_limiter=false", "bloom_filter=false"]]);
  });

  it("fails the experiment when its negative control passes, since then it cannot see the defense", async () => {
    const spans = [
      { service: "gateway", startMillis: START + 6000, durationMillis: 5, error: false },
      { service: "gateway", startMillis: START + 36_000, durationMillis: 5, error: false },
    ];
    const report = await runExperiment(controlled(), setup({ spans }).engine);
    expect(report.run.status).toBe("passed");
    expect(report.controls[0]?.verdict).toBe("passed-unexpectedly");
    expect(report.status).toBe("failed");
    expect(report.reason).toBe('negative control "limiter off" passed with rate_limiter, bloom_filter off');
  });

  it("passes the experiment when the run passes and the control fails as expected", async () => {
    // The control run starts where the first ended (30 s later on the simulated clock): errors only then.
    const spans = [
      { service: "gateway", startMillis: START + 6000, durationMillis: 5, error: false },
      { service: "gateway", startMillis: START + 36_000, durationMillis: 5, error: true },
    ];
    const report = await runExperiment(controlled(), setup({ spans }).engine);
    expect(report.run.status).toBe("passed");
    expect(report.controls[0]).toMatchObject({ verdict: "failed-as-expected", run: { status: "failed" } });
    expect(report.status).toBe("passed");
  });
});

/** Writes down every observer call as a line headed by its run id, times relative to START. */
function recordingObserver(): { observer: RunObserver; calls: string[] } {
  const calls: string[] = [];
  const t = (millis: number | null) => (millis === null ? "-" : String(millis - START));
  const window = (w: FaultWindow) =>
    `${w.id} injected ${t(w.injectedAtMillis)} verified ${t(w.verifiedAtMillis)} healed ${t(w.healedAtMillis)}` +
    `${w.error === null ? "" : ` error ${w.error}`}`;
  return {
    calls,
    observer: {
      runStarted: (run) =>
        calls.push(
          `${run.runId}: ${t(run.startedAtMillis)} started, group ${run.groupId}` +
            `${run.control === null ? "" : ` control ${run.control.name}`}; planned ${run.faults.map(window).join("; ")}`,
        ),
      phaseStarted: (runId, phase, timeMillis) => calls.push(`${runId}: ${t(timeMillis)} enters ${phase}`),
      phaseEnded: (runId, phase, timeMillis) => calls.push(`${runId}: ${t(timeMillis)} leaves ${phase}`),
      faultChanged: (runId, w) => calls.push(`${runId}: fault ${window(w)}`),
      runEnded: (record) => calls.push(`${record.runId}: ${t(record.endedAtMillis)} ended ${record.status}`),
      controlSkipped: (run) =>
        calls.push(
          `${run.runId}: ${t(run.timeMillis)} skipped, group ${run.groupId} control ${run.control.name}`,
        ),
    },
  };
}

describe("the run observer", () => {
  it("sees each run start, its phases and every step of each fault's life cycle, in order, on the simulated clock", async () => {
    const { observer, calls } = recordingObserver();
    const { engine } = setup();
    const report = await runExperiment(
      experiment({
        controls: [{ name: "no limiter", description: null, disable: ["rate_limiter"], expect: "fail" }],
      }),
      { ...engine, observer },
    );
    expect(report.run.status).toBe("passed");
    const runOf = (id: string) => calls.filter((call) => call.startsWith(`${id}: `));
    expect(runOf("run-1")).toEqual([
      "run-1: 0 started, group run-1; planned a injected - verified - healed -; b injected - verified - healed -",
      "run-1: 0 enters steady-state-before",
      "run-1: 0 leaves steady-state-before",
      "run-1: 0 enters method",
      "run-1: fault a injected 5000 verified - healed -",
      "run-1: fault a injected 5000 verified 5000 healed -",
      "run-1: fault b injected 10000 verified - healed -",
      "run-1: fault b injected 10000 verified 10000 healed -",
      "run-1: fault a injected 5000 verified 5000 healed 15000",
      "run-1: fault b injected 10000 verified 10000 healed 30000",
      "run-1: 30000 leaves method",
      "run-1: 30000 enters steady-state-after",
      "run-1: 30000 leaves steady-state-after",
      "run-1: 30000 ended passed",
    ]);
    // The control's run shares the experiment run's group, so the two can be compared.
    expect(runOf("run-2")[0]).toBe(
      "run-2: 30000 started, group run-1 control no limiter; planned a injected - verified - healed -; b injected - verified - healed -",
    );
    expect(runOf("run-2").at(-1)).toBe("run-2: 60000 ended passed");
    expect(calls).toHaveLength(28);
  });

  it("sees a failed inject and an aborted method end their phase, and the skipped controls", async () => {
    const controller = new AbortController();
    const { observer, calls } = recordingObserver();
    const { engine, clock } = setup({ signal: controller.signal });
    void clock.sleep(7000).then(() => controller.abort(new Error("SIGINT")));
    await runExperiment(
      experiment({
        controls: [{ name: "no limiter", description: null, disable: ["rate_limiter"], expect: "fail" }],
      }),
      { ...engine, observer },
    );
    expect(calls.slice(3)).toEqual([
      "run-1: 0 enters method",
      "run-1: fault a injected 5000 verified - healed -",
      "run-1: fault a injected 5000 verified 5000 healed -",
      "run-1: 7000 leaves method",
      "run-1: fault a injected 5000 verified 5000 healed 7000",
      "run-1: 7000 ended aborted",
      "run-2: 7000 skipped, group run-1 control no limiter",
    ]);

    const failing = recordingObserver();
    const wrongTarget = setup({
      faults: (clock) => [
        new FakeFault("kill", clock, { injectThrows: true }),
        new FakeFault("pause", clock),
      ],
    });
    await runOnce(experiment(), { ...wrongTarget.engine, observer: failing.observer });
    expect(failing.calls.filter((call) => call.includes("fault"))).toEqual([
      "run-1: fault a injected 5000 verified - healed -",
      'run-1: fault a injected 5000 verified - healed - error no node matches {"node":"a"}',
    ]);
    expect(failing.calls.slice(-2)).toEqual(["run-1: 5000 leaves method", "run-1: 5000 ended error"]);
  });

  it("keeps running when the observer throws, and records the failure as an event", async () => {
    const { engine } = setup();
    const broken: RunObserver = {
      ...noObserver,
      faultChanged() {
        throw new Error("database is locked");
      },
    };
    const record = await runOnce(experiment(), { ...engine, observer: broken });
    expect(record.status).toBe("passed");
    expect(record.faults.every((fault) => fault.healedAtMillis !== null)).toBe(true);
    expect(at(record.events).filter((event) => event.includes("observer-failed"))[0]).toBe(
      "5000 observer-failed faultChanged: database is locked",
    );
  });
});
