import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type FaultContext, seededRandom } from "../../../chaos/faults/context.js";
import { findLeader } from "../../../chaos/faults/leaders.js";
import { faultCatalog } from "../../../chaos/faults/registry.js";
import { freePort } from "../../../chaos/ports.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { type EtcdMember, etcdNode } from "../../../fixtures/shop/topology/nodes.js";
import { unitOf } from "./fixtures/units.js";

const never = new AbortController().signal;
const folder = mkdtempSync(join(tmpdir(), "shakedown-kill-leader-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Polls (bounded: 100 × 100 ms) until the etcd members left elect a leader. */
async function electedLeader(supervisor: Supervisor): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const running = supervisor.statuses().filter((node) => node.state === "healthy");
    const leader = await findLeader({ system: "etcd" }, running);
    if (typeof leader !== "string") return leader.node.name;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("no etcd leader was elected within 10 s");
}

describe("kill_leader", () => {
  it("kills the etcd leader the cluster names, the others elect a new one, and heal restarts it", {
    timeout: 60_000,
  }, async () => {
    const members: EtcdMember[] = [];
    for (let i = 1; i <= 3; i++) {
      members.push({ name: `etcd-${i}`, clientPort: await freePort(), peerPort: await freePort() });
    }
    const supervisor = new Supervisor();
    await supervisor.start(members.map((member) => etcdNode(member, members, folder)));
    try {
      const context: FaultContext = { topology: supervisor, random: seededRandom(1) };
      const unit = unitOf(context, "kill_leader");
      const leader = await electedLeader(supervisor);
      const injection = await unit.inject({ role: "etcd" }, { system: "etcd" }, never);
      const verification = await unit.verify(injection);
      expect(verification.tookEffect).toBe(true);
      expect(verification.evidence).toMatch(
        new RegExp(`^${leader} is the etcd leader \\(member [0-9a-f]+\\); gone`),
      );

      expect(await electedLeader(supervisor)).not.toBe(leader);
      await unit.heal(injection);
      expect(supervisor.statuses().map((node) => node.state)).toEqual(["healthy", "healthy", "healthy"]);
    } finally {
      await supervisor.stopAll();
    }
  });

  it("ends in a target error when no candidate leads, and validates its config per system", async () => {
    const unit = unitOf({ topology: new Supervisor(), random: seededRandom(1) }, "kill_leader");
    await expect(
      unit.inject({ role: "kafka" }, { system: "kafka", topic: "orders", partition: 0 }, never),
    ).rejects.toThrow(/no node has role kafka/);
    const catalog = faultCatalog();
    expect(catalog.kill_leader?.configSchema).toMatchObject({
      oneOf: [{ required: ["system"] }, { required: ["system", "topic", "partition"] }],
    });
  });
});
