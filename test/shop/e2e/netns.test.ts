import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin } from "@platformatic/kafka";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FaultUnit, Injection } from "../../../chaos/experiment/fault-unit.js";
import { networkFaultUnits } from "../../../chaos/faults/network/index.js";
import { listTables } from "../../../chaos/faults/network/nftables.js";
import { findTool } from "../../../chaos/netns/command.js";
import { type HostNetwork, netnsUnavailableReason } from "../../../chaos/netns/network.js";
import { probeTcpFrom, reachable } from "../../../chaos/netns/probe.js";
import { recoverNetworks } from "../../../chaos/netns/recover.js";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../../collector/collector.js";
import { projectRoot } from "../../../collector/paths.js";
import { createEtcdClient } from "../../../fixtures/shop/registry/etcd.js";
import { type RunningShop, startShop } from "../../../fixtures/shop/topology/start.js";

const unavailable = await netnsUnavailableReason();
const signal = new AbortController().signal;
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** Polls `check` every 200 ms until it holds, at most `tries` times; returns whether it did. */
async function eventually(check: () => Promise<boolean>, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await sleep(200);
  }
  return false;
}

describe.skipIf(unavailable !== null)("the shop with a network namespace per node", () => {
  let runDir: string;
  let stateDir: string;
  let collector: Collector;
  let shop: RunningShop;
  let network: HostNetwork;
  let faults: Record<string, FaultUnit>;
  let gateway: string;

  beforeAll(async () => {
    runDir = mkdtempSync(join(tmpdir(), "shakedown-netns-shop-"));
    stateDir = join(runDir, "state");
    collector = await startCollector({
      ...DEFAULT_COLLECTOR_OPTIONS,
      dbPath: join(runDir, "collector.db"),
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      apiPort: 0,
    });
    shop = await startShop({
      profile: "default",
      collector,
      runDir,
      gatewayPort: 0,
      network: "netns",
      stateDir,
    });
    network = shop.network as HostNetwork;
    gateway = shop.topology.gatewayUrls[0] as string;
    faults = Object.fromEntries(networkFaultUnits({ stateDir }).map((unit) => [unit.name, unit]));
    console.log(
      `netns shop: network and links in ${Math.round(shop.networkMillis)} ms, nodes healthy ${Math.round(shop.startMillis)} ms later`,
    );
  }, 300_000);

  afterAll(async () => {
    await shop?.stop();
    await collector?.close();
    if (stateDir !== undefined) expect((await recoverNetworks(stateDir)).removed).toEqual([]);
    rmSync(runDir, { recursive: true, force: true });
  });

  /** Product pages 1..count through the gateway, one after another; the statuses that were not 200. */
  async function browse(count: number, offset = 0): Promise<number[]> {
    const failed: number[] = [];
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${gateway}/products/${((offset + i) % 200) + 1}`, {
        signal: AbortSignal.timeout(3000),
      }).catch(() => null);
      await response?.arrayBuffer();
      if (response?.status !== 200) failed.push(response?.status ?? 0);
    }
    return failed;
  }

  /** Catalog instances the registry lists, with the address each registered. */
  async function registeredCatalogs(): Promise<Record<string, string>> {
    const etcd = createEtcdClient({ hosts: shop.topology.etcdEndpoints });
    try {
      const entries = await etcd.getAll().prefix("/services/catalog/").strings();
      return Object.fromEntries(
        Object.entries(entries).map(([key, value]) => [
          key.split("/").pop() as string,
          (JSON.parse(value) as { address: string }).address,
        ]),
      );
    } finally {
      etcd.close();
    }
  }

  /** Whether `from`'s namespace opens a TCP connection to `to`'s first port. */
  async function canReach(from: string, to: string): Promise<boolean> {
    const target = network.host(to);
    const [result] = await probeTcpFrom(network.host(from).namespace, [
      { host: target.address, port: Object.values(target.ports)[0] as number, timeoutMillis: 300 },
    ]);
    return reachable(result?.outcome ?? "error");
  }

  /** Server spans catalog-1 sent the collector that started after `sinceMillis`. */
  function serverSpans(instance: string, sinceMillis: number): number {
    const db = new Database(join(runDir, "collector.db"), { readonly: true });
    try {
      return (
        db
          .prepare(
            `SELECT count(*) AS n FROM spans s JOIN resources r ON r.id = s.resource_id
             WHERE r.service_instance_id = ? AND s.kind = 2 AND s.start_ns >= ?`,
          )
          .get(instance, BigInt(sinceMillis) * 1_000_000n) as { n: number }
      ).n;
    } finally {
      db.close();
    }
  }

  async function healed(fault: FaultUnit, injection: Injection): Promise<void> {
    await fault.heal(injection);
    for (const host of network.record.hosts) expect(await listTables(host.namespace)).toEqual([]);
  }

  it("runs every node in its own namespace on its own address, registered and advertised there", async () => {
    for (const status of shop.supervisor.statuses()) {
      const host = network.host(status.name);
      expect(status.host).toBe(host.address);
      expect(host.address).toMatch(/^127\.203\.\d+\.\d+$/);
      const namespace = execFileSync("ip", ["netns", "identify", String(status.pid)], { encoding: "utf8" });
      expect(namespace.trim()).toBe(host.namespace);
    }
    expect(await registeredCatalogs()).toEqual({
      "catalog-1": `${network.host("catalog-1").address}:50051`,
      "catalog-2": `${network.host("catalog-2").address}:50051`,
    });
    const admin = new Admin({
      clientId: "shakedown-netns-test",
      bootstrapBrokers: shop.topology.kafkaBootstrap,
    });
    try {
      const metadata = await admin.metadata({ topics: [], forceUpdate: true });
      expect([...metadata.brokers.values()].map((b) => b.host)).toEqual([network.host("kafka-1").address]);
    } finally {
      await admin.close();
    }
    // Product pages through the gateway, and the nodes' telemetry reaching the collector in the root namespace.
    const since = Date.now();
    expect(await browse(20)).toEqual([]);
    expect(await eventually(async () => serverSpans("catalog-1", since) > 0, 50)).toBe(true);
  });

  it("a partition isolating catalog-1 cuts it off, the gateway keeps serving, and heal brings it back", async () => {
    const partition = faults.partition as FaultUnit;
    const started = performance.now();
    const injection = await partition.inject({}, { kind: "isolate", node: "catalog-1" }, signal);
    expect(injection.method).toBe("nftables");
    const verification = await partition.verify(injection);
    console.log(`isolate catalog-1: inject to verified ${Math.round(performance.now() - started)} ms`);
    expect(verification.tookEffect, verification.evidence).toBe(true);
    expect(await canReach("gateway-1", "catalog-1")).toBe(false);
    expect(await canReach("catalog-1", "etcd-1")).toBe(false);
    expect(await canReach("gateway-1", "catalog-2")).toBe(true);
    try {
      // Retries on catalog-2 hide the cut replica until its lease expires (3 s) and the registry drops it.
      expect(await browse(60)).toEqual([]);
      expect(await eventually(async () => !("catalog-1" in (await registeredCatalogs())), 50)).toBe(true);
      expect(await browse(40, 60)).toEqual([]);
    } finally {
      await healed(partition, injection);
    }
    expect(await canReach("gateway-1", "catalog-1")).toBe(true);
    // It registers again with a fresh lease and serves its share of the pages.
    expect(await eventually(async () => "catalog-1" in (await registeredCatalogs()), 75)).toBe(true);
    const since = Date.now();
    expect(await browse(40)).toEqual([]);
    expect(await eventually(async () => serverSpans("catalog-1", since) > 0, 50)).toBe(true);
  });

  it("a one-way cut from the gateway to catalog-1 leaves it registered, and retries with outlier ejection keep pages served", async () => {
    const partition = faults.partition as FaultUnit;
    const injection = await partition.inject(
      {},
      { kind: "one-way", from: ["gateway-1"], to: ["catalog-1"] },
      signal,
    );
    const verification = await partition.verify(injection);
    expect(verification.tookEffect, verification.evidence).toBe(true);
    try {
      expect(await canReach("gateway-1", "catalog-1")).toBe(false);
      expect(await canReach("catalog-1", "gateway-1")).toBe(true);
      expect(await browse(60)).toEqual([]);
      // catalog-1 still reaches etcd, so its lease lives: only the gateway's own defenses route around it.
      expect(Object.keys(await registeredCatalogs()).sort()).toEqual(["catalog-1", "catalog-2"]);
    } finally {
      await healed(partition, injection);
    }
    expect(await canReach("gateway-1", "catalog-1")).toBe(true);
  });

  it("latency with jitter on catalog-1's link to Redis is injected, observed, and healed", async () => {
    const latency = faults.latency as FaultUnit;
    const target = { link: { from: "catalog-1", to: "redis-1" } };
    const injection = await latency.inject(target, { latencyMillis: 150, jitterMillis: 20 }, signal);
    try {
      const verification = await latency.verify(injection);
      expect(verification.tookEffect, verification.evidence).toBe(true);
      expect(verification.evidence).toMatch(/observed, at least 104\.0 ms required/);
      // catalog-1's cache reads now wait on the link, well inside the gateway's per-try timeout.
      expect(await browse(40)).toEqual([]);
    } finally {
      await latency.heal(injection);
    }
    // Heal removed the toxic by name and saw the link answer again; Toxiproxy no longer lists it.
    const after = await latency.verify(injection);
    expect(after.tookEffect).toBe(false);
    expect(after.evidence).toMatch(/toxics not listed/);
    expect(await browse(20)).toEqual([]);
  });

  it.each([
    ["reset", {}],
    ["blackhole", {}],
    ["bandwidth", { rateKilobytesPerSecond: 1 }],
  ])("%s on catalog-1's link to Redis is injected, verified, and healed", async (kind, config) => {
    const unit = faults[kind] as FaultUnit;
    const injection = await unit.inject({ link: { from: "catalog-1", to: "redis-1" } }, config, signal);
    try {
      const verification = await unit.verify(injection);
      expect(verification.tookEffect, verification.evidence).toBe(true);
    } finally {
      await unit.heal(injection);
    }
    const after = await unit.verify(injection);
    expect(after.tookEffect).toBe(false);
    expect(after.evidence).toMatch(/toxics not listed/);
    expect(await browse(20)).toEqual([]);
  });
});

const runuser = findTool("runuser");

describe.skipIf(unavailable !== null || runuser === null)("a netns launch by an unprivileged user", () => {
  it("ends at once with the reason, before starting anything", () => {
    const script = `
      const { launchTopology } = await import(${JSON.stringify(join(projectRoot, "dist", "chaos", "engine", "shop.js"))});
      await launchTopology({ profile: "default", env: {}, network: "netns", runDir: "/nonexistent",
        registry: undefined, signal: new AbortController().signal })
        .then(() => console.log("started"), (error) => console.log(error.message));`;
    const output = execFileSync(
      runuser as string,
      ["-u", "nobody", "--", process.execPath, "--input-type=module", "-e", script],
      {
        encoding: "utf8",
        cwd: tmpdir(),
      },
    );
    expect(output.trim()).toMatch(
      /cannot run the shop with network "netns": network namespaces are unavailable \(not running as root \(uid \d+\)\)$/,
    );
  });
});

describe.skipIf(unavailable === null)("the shop where network namespaces are unavailable", () => {
  it("refuses a netns shop and says why", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "shakedown-netns-shop-"));
    const collector = await startCollector({
      ...DEFAULT_COLLECTOR_OPTIONS,
      dbPath: join(runDir, "collector.db"),
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      apiPort: 0,
    });
    try {
      const error = await startShop({
        profile: "default",
        collector,
        runDir,
        gatewayPort: 0,
        network: "netns",
        stateDir: join(runDir, "state"),
      }).catch((e: unknown) => e);
      expect(String(error)).toMatch(/network namespaces are unavailable/);
    } finally {
      await collector.close();
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
