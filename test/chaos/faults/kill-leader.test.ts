import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Etcd3 } from "etcd3";
import { afterAll, describe, expect, it } from "vitest";
import { isExperimentError } from "../../../chaos/experiment/errors.js";
import { loadExperiment } from "../../../chaos/experiment/load.js";
import { parseExperiment } from "../../../chaos/experiment/validate.js";
import { type FaultContext, seededRandom } from "../../../chaos/faults/context.js";
import { findLeader } from "../../../chaos/faults/leaders.js";
import { faultCatalog } from "../../../chaos/faults/registry.js";
import { freePort } from "../../../chaos/ports.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { createEtcdClient } from "../../../fixtures/shop/registry/etcd.js";
import { type EtcdMember, etcdNode } from "../../../fixtures/shop/topology/nodes.js";
import { unitOf } from "./fixtures/units.js";

const never = new AbortController().signal;
const folder = mkdtempSync(join(tmpdir(), "shakedown-kill-leader-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Polls (bounded: 100 × 100 ms) until the etcd members left elect a leader. */
/** Three members on free ports, in a data folder of their own. */
async function startCluster(): Promise<{ members: EtcdMember[]; supervisor: Supervisor }> {
  const members: EtcdMember[] = [];
  for (let i = 1; i <= 3; i++) {
    members.push({ name: `etcd-${i}`, clientPort: await freePort(), peerPort: await freePort() });
  }
  const supervisor = new Supervisor();
  const dataDir = mkdtempSync(join(folder, "cluster-"));
  await supervisor.start(members.map((member) => etcdNode(member, members, dataDir)));
  return { members, supervisor };
}

/** Each member's open watch streams, read by our own scrape of its /metrics. */
async function watchStreams(members: readonly EtcdMember[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const member of members) {
    const text = await (await fetch(`http://127.0.0.1:${member.clientPort}/metrics`)).text();
    counts[member.name] = Number(/^etcd_debugging_mvcc_watch_stream_total (\S+)$/m.exec(text)?.[1]);
  }
  return counts;
}

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
    const { supervisor } = await startCluster();
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

  it("with mostWatched, hands leadership to the member the watch streams are on and kills that one", {
    timeout: 60_000,
  }, async () => {
    const { members, supervisor } = await startCluster();
    const clients: Etcd3[] = [];
    try {
      const unit = unitOf({ topology: supervisor, random: seededRandom(1) }, "kill_leader");
      const config = { system: "etcd", mostWatched: true };
      const leader = await electedLeader(supervisor);
      await expect(unit.inject({ role: "etcd" }, config, never)).rejects.toThrow(
        /no etcd member holds a watch stream \(etcd-1 0, etcd-2 0, etcd-3 0\)/,
      );
      expect(supervisor.statuses().map((node) => node.state)).toEqual(["healthy", "healthy", "healthy"]);

      // Two clients list a follower first: both stream from it, and the fault must move leadership there.
      const follower = members.find((member) => member.name !== leader) as EtcdMember;
      const hosts = [follower, ...members.filter((member) => member !== follower)].map(
        (member) => `http://127.0.0.1:${member.clientPort}`,
      );
      for (let i = 0; i < 2; i++) {
        const client = createEtcdClient({ hosts });
        clients.push(client);
        await client.watch().prefix("/services/").create();
      }
      expect((await watchStreams(members))[follower.name]).toBe(2);

      const injection = await unit.inject({ role: "etcd" }, config, never);
      const verification = await unit.verify(injection);
      expect(verification.tookEffect).toBe(true);
      expect(verification.evidence).toMatch(
        new RegExp(
          `^${follower.name} holds the most watch streams \\(etcd-1 \\d, etcd-2 \\d, etcd-3 \\d\\); ` +
            `leadership handed from ${leader} \\(member \\d+\\) in \\d+ ms; ` +
            `${follower.name} is the etcd leader \\(member \\d+\\); gone after SIGKILL`,
        ),
      );
      expect(await electedLeader(supervisor)).not.toBe(follower.name);

      // The watchers fall through to the next listed member (bounded: 100 × 100 ms).
      const survivors = members.filter((member) => member !== follower);
      let moved = 0;
      for (let attempt = 0; attempt < 100 && moved < 2; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const counts = await watchStreams(survivors);
        moved = survivors.reduce((sum, member) => sum + (counts[member.name] ?? 0), 0);
      }
      expect(moved).toBe(2);
      await unit.heal(injection);
      expect(supervisor.statuses().map((node) => node.state)).toEqual(["healthy", "healthy", "healthy"]);
    } finally {
      for (const client of clients) client.close();
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
    const root = join(import.meta.dirname, "../../..");
    const etcdLeader = loadExperiment(join(root, "fixtures/experiments/failover/etcd-leader.yaml"), {
      faults: catalog,
    });
    expect(etcdLeader.method[0]?.config).toEqual({ system: "etcd", mostWatched: true });
    const problems = (config: string) => {
      const text = `title: t\nmethod:\n  - at: 1s\n    fault: kill_leader\n    target: { role: etcd }\n    config: ${config}\n`;
      try {
        parseExperiment(text, "x.yaml", { faults: catalog });
        return "";
      } catch (error) {
        if (!isExperimentError(error)) throw error;
        return error.message;
      }
    };
    expect(problems("{ system: etcd, mostWatched: true }")).toBe("");
    expect(problems('{ system: etcd, mostWatched: "yes" }')).toMatch(/x\.yaml:6:\d+ method\[0\]\.config/);
    expect(problems("{ system: kafka, topic: orders, partition: 0, mostWatched: true }")).toMatch(
      /method\[0\]\.config/,
    );
  });
});
