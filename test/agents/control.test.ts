import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { serveAdmin } from "../../agents/control.js";
import { crashPoints } from "../../agents/crash-points.js";
import { applyFault, InjectedFaultError, setFault } from "../../agents/faults.js";
import { switchboard } from "../../agents/switches.js";

// biome-ignore lint/suspicious/noExplicitAny: control answers are checked field by field.
const json = (response: Response): Promise<any> => response.json();

describe("the agent's control endpoint", () => {
  let base: string;
  beforeAll(async () => {
    base = `http://127.0.0.1:${await serveAdmin(0)}`;
    switchboard.define("test.defense");
  });
  afterEach(() => {
    setFault(null);
    switchboard.get("test.defense")?.set(true);
  });

  const put = (path: string, body: string) =>
    fetch(`${base}${path}`, { method: "PUT", headers: { "content-type": "application/json" }, body });

  it("turns a defense switch off and on in the running process", async () => {
    const off = await put("/control/switches/test.defense", '{"enabled": false}');
    expect(off.status).toBe(200);
    expect((await json(off)).switches["test.defense"]).toBe(false);
    expect(switchboard.get("test.defense")?.enabled).toBe(false);
    await put("/control/switches/test.defense", '{"enabled": true}');
    expect(switchboard.get("test.defense")?.enabled).toBe(true);
    const state = await json(await fetch(`${base}/control`));
    expect(state.switches["test.defense"]).toBe(true);
  });

  it("answers an unknown switch with 404 listing the known ones, and a bad body with 400", async () => {
    const unknown = await put("/control/switches/nope", '{"enabled": false}');
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).detail).toMatch(/no switch named nope; known: .*test\.defense/);
    const malformed = await put("/control/switches/test.defense", "{enabled:");
    expect(malformed.status).toBe(400);
    expect((await json(malformed)).detail).toMatch(/not valid JSON/);
    const wrongType = await put("/control/switches/test.defense", '{"enabled": "no"}');
    expect(wrongType.status).toBe(400);
    expect(switchboard.get("test.defense")?.enabled).toBe(true);
  });

  it("injects a 100% error fault that makes affected operations fail, and clears it", async () => {
    expect((await put("/control/fault", '{"errorRate": 1, "operations": ["Recommend"]}')).status).toBe(200);
    await expect(applyFault("Recommend")).rejects.toBeInstanceOf(InjectedFaultError);
    await expect(applyFault("GetProduct")).resolves.toBeUndefined();
    expect((await fetch(`${base}/control/fault`, { method: "DELETE" })).status).toBe(204);
    await expect(applyFault("Recommend")).resolves.toBeUndefined();
  });

  it("refuses a fault with a field out of range, naming the field, and keeps the previous fault", async () => {
    await put("/control/fault", '{"addedLatencyMillis": 5}');
    const response = await put("/control/fault", '{"errorRate": 2}');
    expect(response.status).toBe(400);
    expect((await json(response)).detail).toMatch(/fault field "errorRate" must be a number from 0 to 1/);
    const unknownField = await put("/control/fault", '{"errorrate": 1}');
    expect((await json(unknownField)).detail).toMatch(/"errorrate" is not a fault field/);
    expect((await json(await fetch(`${base}/control`))).fault.addedLatencyMillis).toBe(5);
  });

  it("fails a share of operations equal to the error rate, drawn from the random source", async () => {
    setFault({ errorRate: 0.5, addedLatencyMillis: 0, jitterMillis: 0, operations: [] });
    await expect(applyFault("op", () => 0.49)).rejects.toBeInstanceOf(InjectedFaultError);
    await expect(applyFault("op", () => 0.5)).resolves.toBeUndefined();
  });

  it("holds an operation for the added latency before letting it run", async () => {
    vi.useFakeTimers();
    try {
      setFault({ errorRate: 0, addedLatencyMillis: 200, jitterMillis: 0, operations: [] });
      let done = false;
      const operation = applyFault("slow").then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(199);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await operation;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("serves /metrics on the same port", async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/process_cpu_user_seconds_total/);
  });

  it("arms and disarms a crash point the process defines, and refuses one it does not", async () => {
    const point = crashPoints.define("test.step");
    const armed = await put("/control/crash-points/test.step", '{"armed": true}');
    expect(armed.status).toBe(200);
    expect((await json(armed)).crashPoints["test.step"]).toBe(true);
    expect(point.armed).toBe(true);
    await put("/control/crash-points/test.step", '{"armed": false}');
    expect(point.armed).toBe(false);
    // Disarmed, reaching it does nothing (armed, it would SIGKILL this test process).
    point.reached();
    const unknown = await put("/control/crash-points/nope", '{"armed": true}');
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).detail).toMatch(/no crash point named nope; known: .*test\.step/);
    expect((await put("/control/crash-points/test.step", '{"armed": 1}')).status).toBe(400);
  });
});
