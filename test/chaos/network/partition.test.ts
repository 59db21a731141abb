import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isNetworkFaultError } from "../../../chaos/faults/network/errors.js";
import { listTables } from "../../../chaos/faults/network/nftables.js";
import { partitionFault } from "../../../chaos/faults/network/partition.js";
import { netnsUnavailableReason } from "../../../chaos/netns/network.js";
import { probeTcpFrom, reachable } from "../../../chaos/netns/probe.js";
import { leftovers, NODE_PORT, startHosts, type TestHosts } from "./hosts.js";

const unavailable = await netnsUnavailableReason();
const signal = new AbortController().signal;
// A fresh id per run: two runs of this file at once (another checkout) must not see each other's tables.
const ID = `pt${randomBytes(3).toString("hex")}`;

describe.skipIf(unavailable !== null)("partition with a network namespace per node", () => {
  let hosts: TestHosts;
  let fault: ReturnType<typeof partitionFault>;

  beforeAll(async () => {
    hosts = await startHosts(["n1", "n2", "n3"], ID);
    fault = partitionFault({ stateDir: hosts.stateDir });
  });
  afterAll(async () => {
    await hosts?.stop();
    expect(await leftovers([ID])).toEqual([]);
  });
  afterEach(async () => {
    // Every test heals what it injected: no partition table may outlive it.
    for (const host of hosts.network.record.hosts) expect(await listTables(host.namespace)).toEqual([]);
  });

  /** Whether `from` can open a TCP connection to `to`'s server, probed from inside `from`'s namespace. */
  async function canReach(from: string, to: string): Promise<boolean> {
    const [result] = await probeTcpFrom(hosts.network.host(from).namespace, [
      { host: hosts.network.host(to).address, port: NODE_PORT, timeoutMillis: 300 },
    ]);
    return reachable(result?.outcome ?? "error");
  }

  async function reachability(): Promise<Record<string, boolean>> {
    const nodes = ["n1", "n2", "n3"];
    const pairs = nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b) => [a, b] as const));
    const results = await Promise.all(pairs.map(([a, b]) => canReach(a, b)));
    return Object.fromEntries(pairs.map(([a, b], i) => [`${a}->${b}`, results[i] as boolean]));
  }

  it("runs each node in its own namespace with an address of its own, all reachable from one another", async () => {
    const addresses = hosts.network.record.hosts.map((host) => host.address);
    expect(new Set(addresses).size).toBe(3);
    expect(addresses.every((address) => address.startsWith("127."))).toBe(true);
    expect(Object.values(await reachability()).every(Boolean)).toBe(true);
    const answer = await fetch(`http://${hosts.network.host("n2").address}:${NODE_PORT}/`);
    expect(await answer.text()).toBe("n2");
  });

  it("isolating one node cuts it off both ways while the others still reach each other, and heal restores it", async () => {
    const injection = await fault.inject({}, { kind: "isolate", node: "n1" }, signal);
    expect(injection.method).toBe("nftables");
    const verification = await fault.verify(injection);
    expect(verification.tookEffect, verification.evidence).toBe(true);
    expect(verification.evidence).toMatch(new RegExp(`packets dropped by shk_${ID}_`));
    expect(await reachability()).toEqual({
      "n1->n2": false,
      "n1->n3": false,
      "n2->n1": false,
      "n2->n3": true,
      "n3->n1": false,
      "n3->n2": true,
    });
    // The engine's own link into the network is not part of the partition: load and probes still get through.
    const answer = await fetch(`http://${hosts.network.host("n1").address}:${NODE_PORT}/`);
    expect(await answer.text()).toBe("n1");

    await fault.heal(injection);
    expect(Object.values(await reachability()).every(Boolean)).toBe(true);
    await fault.heal(injection);
  });

  it("a one-way partition stops n1 from reaching n2 while n2 still reaches n1", async () => {
    const injection = await fault.inject({}, { kind: "one-way", from: ["n1"], to: ["n2"] }, signal);
    const verification = await fault.verify(injection);
    expect(verification.tookEffect, verification.evidence).toBe(true);
    const seen = await reachability();
    expect(seen["n1->n2"]).toBe(false);
    expect(seen["n2->n1"]).toBe(true);
    expect(seen["n1->n3"]).toBe(true);
    expect(seen["n3->n2"]).toBe(true);
    await fault.heal(injection);
    expect(await canReach("n1", "n2")).toBe(true);
  });

  it("a bridge splits two sides that both still reach the node in the middle", async () => {
    const injection = await fault.inject({}, { kind: "bridge", seed: 7 }, signal);
    const [left, middle, right] = injection.groups as string[][];
    const [l, m, r] = [left?.[0], middle?.[0], right?.[0]] as string[];
    const verification = await fault.verify(injection);
    expect(verification.tookEffect, verification.evidence).toBe(true);
    const seen = await reachability();
    expect([seen[`${l}->${r}`], seen[`${r}->${l}`]]).toEqual([false, false]);
    expect([seen[`${l}->${m}`], seen[`${m}->${l}`], seen[`${r}->${m}`], seen[`${m}->${r}`]]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    await fault.heal(injection);
    expect(Object.values(await reachability()).every(Boolean)).toBe(true);
  });

  it("halves splits a minority from a majority, drawn again identically from the recorded seed", async () => {
    const injection = await fault.inject({ role: "n" }, { kind: "halves", seed: 42 }, signal);
    const verification = await fault.verify(injection);
    expect(verification.tookEffect, verification.evidence).toBe(true);
    const [minority, majority] = injection.groups as string[][];
    expect([minority?.length, majority?.length]).toEqual([1, 2]);
    await fault.heal(injection);
    const again = await fault.inject({}, { kind: "halves", seed: injection.seed as number }, signal);
    expect(again.groups).toEqual(injection.groups);
    await fault.heal(again);
  });

  it("a partition aimed at an unknown node fails to inject and leaves no table behind", async () => {
    const error = await fault.inject({}, { kind: "isolate", node: "nope" }, signal).catch((e: unknown) => e);
    expect(isNetworkFaultError(error) && error.code).toBe("SHAKEDOWN_NETWORK_TARGET_INVALID");
    const unknownTarget = await fault
      .inject({ nodes: ["n1", "ghost"] }, { kind: "halves" }, signal)
      .catch((e) => e);
    expect(String(unknownTarget)).toMatch(/unknown nodes ghost/);
    const unknownNetwork = await fault
      .inject({ network: "nope" }, { kind: "halves" }, signal)
      .catch((e) => e);
    expect(isNetworkFaultError(unknownNetwork) && unknownNetwork.code).toBe(
      "SHAKEDOWN_NETWORK_TARGET_INVALID",
    );
  });

  it("an unconfirmed heal removes the tables an engine that died inside inject left behind", async () => {
    await fault.inject({}, { kind: "groups", groups: [["n1", "n2"], ["n3"]] }, signal);
    expect(await canReach("n1", "n3")).toBe(false);
    await fault.healUnconfirmed({}, { kind: "groups" });
    expect(await canReach("n1", "n3")).toBe(true);
  });
});

describe.skipIf(unavailable === null)("partition without network namespaces", () => {
  it("reports why namespaces are unavailable", () => {
    expect(unavailable).toMatch(/not Linux|not running as root|ip command|netns list failed/);
  });
});
