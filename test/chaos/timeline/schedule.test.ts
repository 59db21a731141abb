import { describe, expect, it } from "vitest";
import type { Experiment, FaultAction } from "../../../chaos/experiment/types.js";
import { SimulatedClock } from "../../../chaos/timeline/clock.js";
import { buildSchedule, methodLengthMillis } from "../../../chaos/timeline/schedule.js";

const action = (id: string, atMillis: number, durationMillis: number | null): FaultAction => ({
  id,
  fault: "kill",
  atMillis,
  target: {},
  config: {},
  durationMillis,
});
const experiment = (method: FaultAction[], loadMillis: number | null): Experiment => ({
  file: "x.yaml",
  title: "x",
  description: null,
  profile: "default",
  topology: { env: {}, network: "loopback" },
  steadyState: { title: null, probes: [] },
  load:
    loadMillis === null
      ? null
      : { type: "k6", script: "/x.js", durationMillis: loadMillis, vus: null, env: {} },
  method,
  assertions: [],
  controls: [],
  rollbacks: [],
});

describe("the schedule", () => {
  it("is plain data: heal at t + duration, untimed faults healed at the end in reverse order", () => {
    const ops = buildSchedule(
      experiment([action("a", 1000, null), action("b", 2000, 3000), action("c", 5000, null)], 8000),
    );
    expect(ops).toEqual([
      { op: "check-steady-state", phase: "before" },
      { op: "start-method" },
      { op: "start-load" },
      { op: "inject", atMillis: 1000, actionId: "a" },
      { op: "inject", atMillis: 2000, actionId: "b" },
      { op: "heal", atMillis: 5000, actionId: "b" },
      { op: "inject", atMillis: 5000, actionId: "c" },
      { op: "heal", atMillis: 8000, actionId: "c" },
      { op: "heal", atMillis: 8000, actionId: "a" },
      { op: "await-load", atMillis: 8000 },
      { op: "end-method", atMillis: 8000 },
      { op: "check-steady-state", phase: "after" },
    ]);
  });

  it("lasts as long as the load, or until the last fault ends when that is later", () => {
    expect(methodLengthMillis(experiment([action("a", 1000, 20_000)], 8000))).toBe(21_000);
    expect(methodLengthMillis(experiment([action("a", 9000, null)], null))).toBe(9000);
    const ops = buildSchedule(experiment([action("a", 9000, null)], null)).map((op) => op.op);
    expect(ops).toEqual([
      "check-steady-state",
      "start-method",
      "inject",
      "heal",
      "end-method",
      "check-steady-state",
    ]);
  });
});

describe("the simulated clock", () => {
  it("fires sleepers in time order without waiting for real", async () => {
    const clock = new SimulatedClock(100);
    const fired: string[] = [];
    await Promise.all([
      clock.sleep(3000).then(() => fired.push(`c@${clock.now()}`)),
      clock.sleep(1000).then(() => fired.push(`a@${clock.now()}`)),
      clock.sleep(1000).then(() => fired.push(`b@${clock.now()}`)),
    ]);
    expect(fired).toEqual(["a@1100", "b@1100", "c@3100"]);
  });

  it("advances by hand when auto-advance is off, and rejects an aborted sleep", async () => {
    const clock = new SimulatedClock(0, { autoAdvance: false });
    const fired: number[] = [];
    void clock.sleep(50).then(() => fired.push(clock.now()));
    const controller = new AbortController();
    const aborted = clock.sleep(70, controller.signal);
    await clock.advance(40);
    expect(fired).toEqual([]);
    await clock.advance(20);
    expect(fired).toEqual([50]);
    expect(clock.now()).toBe(60);
    controller.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    expect(clock.pendingTimers).toBe(0);
  });
});
