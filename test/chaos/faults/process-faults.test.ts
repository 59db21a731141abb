import { afterEach, describe, expect, it } from "vitest";
import { type FaultContext, seededRandom } from "../../../chaos/faults/context.js";
import { processState } from "../../../chaos/faults/process.js";
import { processStartTicks } from "../../../chaos/supervisor/pid-registry.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { webNode } from "./fixtures/topology.js";
import { unitOf } from "./fixtures/units.js";

const never = new AbortController().signal;

async function answers(port: number | undefined): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(300) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** /proc/<pid> is absent or a zombie not yet reaped, or the PID now belongs to a process started later. */
const gone = (pid: number, startTicks: string | null) =>
  processStartTicks(pid) !== startTicks || processState(pid) === "Z";

describe("process faults against real processes", () => {
  let supervisor: Supervisor;
  let context: FaultContext;
  afterEach(async () => {
    for (const pid of supervisor.pids()) if (processState(pid) === "T") process.kill(pid, "SIGCONT");
    await supervisor.stopAll();
  });

  async function start(count = 1): Promise<void> {
    supervisor = new Supervisor();
    const nodes = [];
    for (let i = 1; i <= count; i++) nodes.push(await webNode(`web-${i}`));
    await supervisor.start(nodes);
    context = { topology: supervisor, random: seededRandom(7) };
  }

  it("kill ends the node's process, verify sees its PID gone, and heal restarts it healthy under a new PID", async () => {
    await start();
    const kill = unitOf(context, "kill");
    const before = supervisor.status("web-1");
    const ticks = processStartTicks(before.pid);
    const injection = await kill.inject({ node: "web-1" }, {}, never);
    const verification = await kill.verify(injection);
    expect(verification).toMatchObject({ tookEffect: true });
    expect(verification.evidence).toContain(`pid ${before.pid}`);
    expect(gone(before.pid, ticks)).toBe(true);

    await kill.heal(injection);
    const after = supervisor.status("web-1");
    expect(after.pid).not.toBe(before.pid);
    expect(after.state).toBe("healthy");
    expect(await answers(after.ports.http)).toBe(true);

    await kill.heal(injection);
    expect(supervisor.status("web-1")).toMatchObject({ pid: after.pid, restarts: after.restarts });
  });

  it("terminate ends the node with SIGTERM within its stop timeout, and heal restarts it", async () => {
    await start();
    const terminate = unitOf(context, "terminate");
    const before = supervisor.status("web-1");
    const injection = await terminate.inject({ role: "web" }, { within: "5s" }, never);
    expect(await terminate.verify(injection)).toMatchObject({ tookEffect: true });
    expect(injection.signal).toBe("SIGTERM");
    await terminate.heal(injection);
    expect(supervisor.status("web-1").pid).not.toBe(before.pid);
    expect(await answers(supervisor.status("web-1").ports.http)).toBe(true);
  });

  it("pause stops the process (state T) so it does not answer, and heal resumes it serving", async () => {
    await start();
    const pause = unitOf(context, "pause");
    const node = supervisor.status("web-1");
    const injection = await pause.inject({ node: "web-1" }, {}, never);
    const verification = await pause.verify(injection);
    expect(verification).toMatchObject({ tookEffect: true });
    expect(processState(node.pid)).toBe("T");
    expect(await answers(node.ports.http)).toBe(false);

    await pause.heal(injection);
    expect(processState(node.pid)).not.toBe("T");
    expect(await answers(node.ports.http)).toBe(true);
    await pause.heal(injection);
    expect(supervisor.status("web-1").pid).toBe(node.pid);
  });

  it("restart gives the node a new healthy PID, verified by the old one being gone", async () => {
    await start();
    const restart = unitOf(context, "restart");
    const before = supervisor.status("web-1");
    const ticks = processStartTicks(before.pid);
    const injection = await restart.inject({ node: "web-1" }, {}, never);
    const verification = await restart.verify(injection);
    expect(verification.tookEffect).toBe(true);
    expect(verification.evidence).toContain(String(supervisor.status("web-1").pid));
    await restart.heal(injection);
    expect(supervisor.status("web-1").restarts).toBe(1);
    expect(gone(before.pid, ticks)).toBe(true);
  });

  it("a majority of a role's three nodes is two of them, the same two for the same seed", async () => {
    await start(3);
    const pick = async (seed: number) => {
      const pause = unitOf({ topology: supervisor, random: seededRandom(seed) }, "pause");
      const injection = await pause.inject({ role: "web", pick: "majority" }, {}, never);
      await pause.heal(injection);
      return (injection.processes as { node: string }[]).map((ref) => ref.node);
    };
    const first = await pick(42);
    expect(first).toHaveLength(2);
    expect(await pick(42)).toEqual(first);
  });

  it("a target naming no node, or a role no node has, fails inject and names what exists", async () => {
    await start();
    const kill = unitOf(context, "kill");
    const pause = unitOf(context, "pause");
    await expect(kill.inject({ node: "web-9" }, {}, never)).rejects.toThrow(
      /no node named web-9 \(nodes: web-1\)/,
    );
    await expect(pause.inject({ role: "db", pick: "one" }, {}, never)).rejects.toThrow(
      /no node has role db \(roles: web\)/,
    );
    expect(supervisor.status("web-1").state).toBe("healthy");
    expect(processState(supervisor.status("web-1").pid)).not.toBe("T");
  });
});
