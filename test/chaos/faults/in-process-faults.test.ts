import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentSwitches } from "../../../chaos/engine/switches.js";
import { readControl } from "../../../chaos/faults/agent-client.js";
import { type FaultContext, seededRandom } from "../../../chaos/faults/context.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { agentNode, webNode } from "./fixtures/topology.js";
import { unitOf } from "./fixtures/units.js";

const never = new AbortController().signal;

describe("in-process faults and switches through a real agent", () => {
  const supervisor = new Supervisor();
  let context: FaultContext;
  let httpPort: number;
  let endpoint: { node: string; adminPort: number };
  beforeAll(async () => {
    await supervisor.start([await agentNode("app-1"), await webNode("web-1")]);
    context = { topology: supervisor, random: seededRandom(1) };
    const app = supervisor.status("app-1");
    httpPort = app.ports.http as number;
    endpoint = { node: "app-1", adminPort: app.ports.admin as number };
  });
  afterAll(() => supervisor.stopAll());

  const work = async () => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/work`);
    await response.arrayBuffer();
    return response.status;
  };

  it("error_rate makes calls fail, verified by read-back and a failing probe, and heal makes them succeed", async () => {
    const error_rate = unitOf(context, "error_rate");
    const injection = await error_rate.inject({ role: "app" }, { rate: 1, probe: { path: "/work" } }, never);
    const verification = await error_rate.verify(injection);
    expect(verification).toMatchObject({ tookEffect: true });
    expect(verification.evidence).toContain("a probe of /work failed");
    expect(await work()).toBe(503);

    await error_rate.heal(injection);
    expect((await readControl(endpoint)).fault).toBeNull();
    expect(await work()).toBe(200);
    await error_rate.heal(injection);
  });

  it("latency is verified by a probe call that took at least the added delay, and heal clears it", async () => {
    const latency = unitOf(context, "latency");
    const injection = await latency.inject(
      { node: "app-1" },
      { delay: "300ms", probe: { path: "/work" } },
      never,
    );
    const verification = await latency.verify(injection);
    expect(verification.tookEffect).toBe(true);
    expect(verification.evidence).toMatch(/took \d+ ms \(≥ 300 ms added\)/);
    expect((await readControl(endpoint)).fault).toMatchObject({ addedLatencyMillis: 300 });
    await latency.heal(injection);
    expect((await readControl(endpoint)).fault).toBeNull();
  });

  it("a latency whose probe path the fault does not touch is reported as not taking effect", async () => {
    const latency = unitOf(context, "latency");
    const config = { delay: "300ms", operations: ["GET /other"], probe: { path: "/work" } };
    const injection = await latency.inject({ node: "app-1" }, config, never);
    try {
      const verification = await latency.verify(injection);
      expect(verification.tookEffect).toBe(false);
      expect(verification.evidence).toMatch(/under the 300 ms added/);
    } finally {
      await latency.heal(injection);
    }
  });

  it("an in-process fault aimed at a node without an agent fails inject", async () => {
    const error_rate = unitOf(context, "error_rate");
    await expect(error_rate.inject({ node: "web-1" }, { rate: 1 }, never)).rejects.toThrow(
      /node web-1 has no admin port/,
    );
  });

  it("defense_switch turns a switch off in the running process, verified by read-back, and heal restores it", async () => {
    const defense_switch = unitOf(context, "defense_switch");
    const injection = await defense_switch.inject({}, { switch: "demo_guard" }, never);
    expect(await defense_switch.verify(injection)).toMatchObject({ tookEffect: true });
    const guard = async () => (await fetch(`http://127.0.0.1:${httpPort}/guard`)).text();
    expect(await guard()).toBe("false");
    await defense_switch.heal(injection);
    expect(await guard()).toBe("true");
    await defense_switch.heal(injection);
    expect((await readControl(endpoint)).switches.demo_guard).toBe(true);
  });

  it("a switch no node has is a wrong target, for the fault and for a negative control", async () => {
    const defense_switch = unitOf(context, "defense_switch");
    await expect(defense_switch.inject({}, { switch: "no_such_defense" }, never)).rejects.toThrow(
      /no running node has a switch named no_such_defense \(switches: demo_guard\)/,
    );
    const switches = agentSwitches(supervisor);
    await expect(switches.set("no_such_defense", false)).rejects.toThrow(
      /no running node has a defense switch/,
    );
    await switches.set("demo_guard", false);
    expect((await readControl(endpoint)).switches.demo_guard).toBe(false);
    await switches.set("demo_guard", true);
    expect((await readControl(endpoint)).switches.demo_guard).toBe(true);
  });

  it("crash_point kills the node when its code reaches the armed step, and heal restarts it disarmed", async () => {
    const crash = unitOf(context, "crash_point");
    const before = supervisor.status("app-1").pid;
    const injection = await crash.inject({ role: "app" }, { point: "app.step", within: "200ms" }, never);
    expect((await readControl(endpoint)).crashPoints["app.step"]).toBe(true);
    // Armed but not reached: the node keeps running, and verify says so.
    expect(await work()).toBe(200);
    expect(await crash.verify(injection)).toMatchObject({ tookEffect: false });

    const step = await fetch(`http://127.0.0.1:${httpPort}/step`).catch((error: Error) => error);
    expect(step).toBeInstanceOf(Error);
    const verification = await crash.verify(injection);
    expect(verification).toMatchObject({ tookEffect: true });
    expect(verification.evidence).toContain(`crashed at app.step: app-1 (pid ${before})`);

    await crash.heal(injection);
    const after = supervisor.status("app-1");
    expect(after.state).toBe("healthy");
    expect(after.pid).not.toBe(before);
    endpoint = { node: "app-1", adminPort: after.ports.admin as number };
    httpPort = after.ports.http as number;
    expect((await readControl(endpoint)).crashPoints["app.step"]).toBe(false);
    expect(await (await fetch(`http://127.0.0.1:${httpPort}/step`)).text()).toBe("stepped");
  });

  it("crash_point refuses a point the node does not define", async () => {
    const crash = unitOf(context, "crash_point");
    await expect(crash.inject({ node: "app-1" }, { point: "app.nowhere" }, never)).rejects.toThrow(
      /no crash point named app\.nowhere; known: app\.step/,
    );
  });

  it("a node restarted while a control holds a switch off starts with it off, and after the control with it on", async () => {
    const switches = agentSwitches(supervisor);
    const restartedSwitch = async () => {
      await supervisor.restart("app-1");
      const adminPort = supervisor.status("app-1").ports.admin as number;
      return (await readControl({ node: "app-1", adminPort })).switches.demo_guard;
    };
    await switches.set("demo_guard", false);
    expect(await restartedSwitch()).toBe(false);
    await switches.set("demo_guard", true);
    expect(await restartedSwitch()).toBe(true);
  });
});
