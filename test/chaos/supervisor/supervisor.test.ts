import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isChaosError } from "../../../chaos/errors.js";
import { freePort } from "../../../chaos/ports.js";
import type { NodeSpec } from "../../../chaos/supervisor/node-spec.js";
import { PidRegistry, stillRunning } from "../../../chaos/supervisor/pid-registry.js";
import { httpProbe } from "../../../chaos/supervisor/probes.js";
import { Supervisor, startLevels } from "../../../chaos/supervisor/supervisor.js";

/** A real HTTP server process that says hello on stdout once it listens. */
async function serverNode(name: string, role: string, dependsOn: string[] = []): Promise<NodeSpec> {
  const port = await freePort();
  const script = `
    const http = require("node:http");
    http.createServer((q, r) => r.end("${name}")).listen(${port}, "127.0.0.1", () => console.log("${name} listening"));
    process.on("SIGTERM", () => { console.log("${name} stopping"); process.exit(0); });
  `;
  return {
    name,
    role,
    command: process.execPath,
    args: ["-e", script],
    ports: { http: port },
    health: httpProbe(`http://127.0.0.1:${port}/`),
    dependsOn,
    startTimeoutMillis: 10_000,
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("supervisor", () => {
  let supervisor: Supervisor | undefined;
  afterEach(async () => {
    await supervisor?.stopAll();
  });

  it("orders nodes so every dependency starts first, and rejects cycles and unknown dependencies", async () => {
    const a = await serverNode("a", "x");
    const b = await serverNode("b", "x", ["a"]);
    const c = await serverNode("c", "x", ["a", "b"]);
    expect(startLevels([c, b, a]).map((level) => level.map((s) => s.name))).toEqual([["a"], ["b"], ["c"]]);
    expect(() => startLevels([{ ...a, dependsOn: ["c"] }, c, b])).toThrow(/dependency cycle/);
    expect(() => startLevels([{ ...a, dependsOn: ["nope"] }])).toThrow(/unknown node nope/);
  });

  it("stops dependents before what they depend on, and the nodes of one level together", async () => {
    const lines: string[] = [];
    supervisor = new Supervisor({ onOutput: (_node, _stream, line) => lines.push(line) });
    // Each takes a moment to exit after SIGTERM, so stopping one after another would show in the order.
    const slowToStop = async (name: string, dependsOn: string[] = []) => {
      const spec = await serverNode(name, "x", dependsOn);
      const script = (spec.args[1] as string).replace(
        `process.exit(0);`,
        `setTimeout(() => { console.log("${name} exiting"); process.exit(0); }, 300);`,
      );
      return { ...spec, args: ["-e", script] };
    };
    await supervisor.start([
      await slowToStop("db"),
      await slowToStop("api-1", ["db"]),
      await slowToStop("api-2", ["db"]),
    ]);
    await supervisor.stopAll();
    const stops = lines.filter((line) => / (stopping|exiting)$/.test(line));
    expect(stops.slice(0, 2).sort()).toEqual(["api-1 stopping", "api-2 stopping"]);
    expect(stops.slice(2, 4).sort()).toEqual(["api-1 exiting", "api-2 exiting"]);
    expect(stops.slice(4)).toEqual(["db stopping", "db exiting"]);
  });

  it("does not start a node again when a restart overlaps stopping the topology", async () => {
    supervisor = new Supervisor();
    const spec = await serverNode("slow", "x");
    // Slow to exit after SIGTERM, so stopAll and the restart both wait for the same old process.
    const script = (spec.args[1] as string).replace(
      `process.exit(0);`,
      `setTimeout(() => process.exit(0), 300);`,
    );
    await supervisor.start([{ ...spec, args: ["-e", script] }]);
    const old = supervisor.status("slow").pid;
    const restarted = supervisor.restart("slow");
    await supervisor.stopAll();
    await expect(restarted).rejects.toThrow(/node slow did not start: the topology is being stopped/);
    expect(alive(old)).toBe(false);
    expect(supervisor.pids()).toEqual([]);
    expect(supervisor.status("slow").pid).toBe(old);
  });

  it("starts a topology healthy, captures each node's output, and stops every process it started", async () => {
    const lines: string[] = [];
    const registry = new PidRegistry(
      join(mkdtempSync(join(tmpdir(), "shakedown-supervisor-")), "pids.jsonl"),
    );
    supervisor = new Supervisor({
      registry,
      onOutput: (node, stream, line) => lines.push(`${node.name}/${stream}: ${line}`),
    });
    await supervisor.start([await serverNode("db", "store"), await serverNode("api", "service", ["db"])]);
    expect(supervisor.statuses().map((s) => [s.name, s.state])).toEqual([
      ["db", "healthy"],
      ["api", "healthy"],
    ]);
    const pids = supervisor.pids();
    expect(registry.live().map((p) => p.pid)).toEqual(pids);
    expect(registry.live().every(stillRunning)).toBe(true);
    expect(lines).toContain("db/stdout: db listening");

    await supervisor.stopAll();
    expect(pids.some(alive)).toBe(false);
    expect(registry.live()).toEqual([]);
    expect(lines).toContain("api/stdout: api stopping");
    expect(supervisor.status("api").state).toBe("stopped");
  });

  it("restarts a node under a new PID and counts the restart", async () => {
    supervisor = new Supervisor();
    await supervisor.start([await serverNode("one", "service")]);
    const before = supervisor.status("one").pid;
    await supervisor.restart("one");
    const after = supervisor.status("one");
    expect(after.pid).not.toBe(before);
    expect(after.state).toBe("healthy");
    expect(after.restarts).toBe(1);
    expect(alive(before)).toBe(false);
  });

  it("reports a node killed from outside as an unexpected exit", async () => {
    const exits: string[] = [];
    supervisor = new Supervisor({
      onUnexpectedExit: (node) => exits.push(`${node.name}:${node.exitSignal}`),
    });
    await supervisor.start([await serverNode("victim", "service")]);
    process.kill(supervisor.status("victim").pid, "SIGKILL");
    for (let i = 0; i < 100 && exits.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(exits).toEqual(["victim:SIGKILL"]);
    expect(supervisor.status("victim").state).toBe("exited");
  });

  it("fails to start with the node's name, the reason and its last output, and stops what it had started", async () => {
    supervisor = new Supervisor();
    const good = await serverNode("good", "service");
    const bad: NodeSpec = {
      ...(await serverNode("bad", "service", ["good"])),
      args: ["-e", "console.error('cannot open config file'); process.exit(3)"],
    };
    const failure = await supervisor.start([good, bad]).catch((error: unknown) => error);
    expect(isChaosError(failure)).toBe(true);
    expect(String(failure)).toMatch(/node bad did not start: it exited \(3\)/);
    expect(String(failure)).toMatch(/cannot open config file/);
    expect(supervisor.status("good").state).toBe("stopped");
  });
});
