import { join } from "node:path";
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExperiments } from "../../../chaos/engine/run.js";
import { SHOP_TELEMETRY_LAG_MILLIS } from "../../../chaos/engine/shop.js";
import { openTelemetry } from "../../../chaos/engine/telemetry.js";
import { InMemoryTelemetry } from "../../../chaos/experiment/telemetry.js";
import { parseExperiment } from "../../../chaos/experiment/validate.js";
import { readControl } from "../../../chaos/faults/agent-client.js";
import { type FaultContext, seededRandom } from "../../../chaos/faults/context.js";
import { processState } from "../../../chaos/faults/process.js";
import { faultCatalog } from "../../../chaos/faults/registry.js";
import { MemoryJournal } from "../../../chaos/journal/write-ahead.js";
import type { NodeStatus } from "../../../chaos/supervisor/node-spec.js";
import { processStartTicks } from "../../../chaos/supervisor/pid-registry.js";
import { grpcHealthProbe } from "../../../chaos/supervisor/probes.js";
import { fullServiceName, type ShopServiceName, shopService } from "../../../fixtures/shop/runtime/proto.js";
import { startTestShop, type TestShop } from "../../helpers/shop.js";
import { unitOf } from "./fixtures/units.js";

const never = new AbortController().signal;

/**
 * Every fault kind that acts on processes or through the agents, injected through its registered unit
 * into the running shop and watched from outside by probes of our own: /proc, the node's gRPC port, its
 * /metrics and /control, the gateway. Network faults are tested in test/chaos/network/.
 */
describe("process and in-process faults against the real shop", () => {
  let shop: TestShop;
  let context: FaultContext;
  const node = (name: string): NodeStatus => shop.shop.supervisor.status(name);

  beforeAll(async () => {
    shop = await startTestShop("default");
    context = { topology: shop.shop.supervisor, random: seededRandom(11) };
  }, 180_000);
  afterAll(async () => {
    for (const pid of shop?.shop.supervisor.pids() ?? []) {
      if (processState(pid) === "T") process.kill(pid, "SIGCONT");
    }
    await shop?.stop();
  });

  /** Whether the node's gRPC health service answers SERVING within a second: our probe, not the unit's. */
  async function serving(name: string, service: ShopServiceName): Promise<boolean> {
    const probe = grpcHealthProbe(`127.0.0.1:${node(name).ports.grpc}`, fullServiceName(service));
    return probe.check(AbortSignal.timeout(2000));
  }

  /** True once the recorded process is gone: no /proc entry, a zombie, or its PID reused by a newer one. */
  const gone = (pid: number, startTicks: string | null) =>
    processStartTicks(pid) !== startTicks || processState(pid) === "Z";

  /** One GetProduct straight to a catalog node's gRPC port, bypassing the gateway and its retries. */
  async function getProduct(name: string, id: string): Promise<{ code: status; elapsedMillis: number }> {
    const Catalog = shopService("Catalog");
    // biome-ignore lint/suspicious/noExplicitAny: a generated gRPC client is untyped.
    const client: any = new Catalog(`127.0.0.1:${node(name).ports.grpc}`, credentials.createInsecure());
    const started = performance.now();
    try {
      const code = await new Promise<status>((resolve) => {
        client.GetProduct({ id }, { deadline: Date.now() + 5000 }, (error: ServiceError | null) =>
          resolve(error === null ? status.OK : error.code),
        );
      });
      return { code, elapsedMillis: performance.now() - started };
    } finally {
      client.close();
    }
  }

  /** A node's count of one defense decision, read from its Prometheus /metrics. */
  async function decisions(name: string, defense: string, decision: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${node(name).ports.admin}/metrics`)).text();
    const line = text
      .split("\n")
      .find((l) =>
        l.startsWith(`shakedown_defense_decisions_total{defense="${defense}",decision="${decision}"}`),
      );
    return line === undefined ? 0 : Number(line.split(" ").at(-1));
  }

  async function gatewayAnswers(path: string): Promise<number> {
    const response = await fetch(`${shop.shop.topology.gatewayUrls[0]}${path}`, {
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    return response.status;
  }

  it("kill: catalog-1's process is gone and its port refuses; heal brings it back serving under a new PID", async () => {
    const kill = unitOf(context, "kill");
    const before = node("catalog-1");
    const ticks = processStartTicks(before.pid);
    expect(await serving("catalog-1", "Catalog")).toBe(true);

    const injection = await kill.inject({ node: "catalog-1" }, {}, never);
    expect(await kill.verify(injection)).toMatchObject({ tookEffect: true });
    expect(gone(before.pid, ticks)).toBe(true);
    expect(await serving("catalog-1", "Catalog")).toBe(false);

    await kill.heal(injection);
    const after = node("catalog-1");
    expect(after).toMatchObject({ state: "healthy", restarts: before.restarts + 1 });
    expect(after.pid).not.toBe(before.pid);
    expect(await serving("catalog-1", "Catalog")).toBe(true);
    expect((await getProduct("catalog-1", "1")).code).toBe(status.OK);
  });

  it("terminate: orders-1 shuts down on SIGTERM and stops serving; heal restarts it", async () => {
    const terminate = unitOf(context, "terminate");
    const before = node("orders-1");
    const ticks = processStartTicks(before.pid);
    const injection = await terminate.inject({ node: "orders-1" }, {}, never);
    expect(await terminate.verify(injection)).toMatchObject({ tookEffect: true });
    expect(gone(before.pid, ticks)).toBe(true);
    expect(await serving("orders-1", "Orders")).toBe(false);

    await terminate.heal(injection);
    expect(node("orders-1").pid).not.toBe(before.pid);
    expect(await serving("orders-1", "Orders")).toBe(true);
  });

  it("pause: inventory-1 is stopped in /proc and its health check times out; heal resumes the same process", async () => {
    const pause = unitOf(context, "pause");
    const before = node("inventory-1");
    const injection = await pause.inject({ node: "inventory-1" }, {}, never);
    expect(await pause.verify(injection)).toMatchObject({ tookEffect: true });
    expect(processState(before.pid)).toBe("T");
    expect(await serving("inventory-1", "Inventory")).toBe(false);

    await pause.heal(injection);
    expect(processState(before.pid)).not.toBe("T");
    expect(node("inventory-1")).toMatchObject({ pid: before.pid, restarts: before.restarts });
    expect(await serving("inventory-1", "Inventory")).toBe(true);
  });

  it("restart: catalog-2 comes back healthy under a new PID with the old process gone", async () => {
    const restart = unitOf(context, "restart");
    const before = node("catalog-2");
    const ticks = processStartTicks(before.pid);
    const injection = await restart.inject({ node: "catalog-2" }, {}, never);
    expect(await restart.verify(injection)).toMatchObject({ tookEffect: true });
    expect(gone(before.pid, ticks)).toBe(true);
    await restart.heal(injection);
    expect(node("catalog-2")).toMatchObject({ state: "healthy", restarts: before.restarts + 1 });
    expect(await serving("catalog-2", "Catalog")).toBe(true);
    expect(await gatewayAnswers("/products/1")).toBe(200);
  });

  it("error_rate: about half of catalog-1's calls fail at rate 0.5, each counted by its agent; none after heal", async () => {
    const errorRate = unitOf(context, "error_rate");
    // Only the RPC itself: a cache miss also passes the fault at its database read, which would fail it twice.
    const injection = await errorRate.inject(
      { node: "catalog-1" },
      { rate: 0.5, operations: ["GetProduct"] },
      never,
    );
    try {
      expect(await errorRate.verify(injection)).toMatchObject({ tookEffect: true });
      const failedBefore = await decisions("catalog-1", "fault", "failed");
      const codes: status[] = [];
      for (let i = 0; i < 200; i++) codes.push((await getProduct("catalog-1", String((i % 50) + 1))).code);
      const failures = codes.filter((code) => code !== status.OK);
      // Binomial(200, 0.5): outside 0.35..0.65 once in 50 000 runs.
      expect(failures.length / codes.length).toBeGreaterThan(0.35);
      expect(failures.length / codes.length).toBeLessThan(0.65);
      expect(new Set(failures)).toEqual(new Set([status.UNAVAILABLE]));
      expect((await decisions("catalog-1", "fault", "failed")) - failedBefore).toBe(failures.length);
    } finally {
      await errorRate.heal(injection);
    }
    expect(
      (await readControl({ node: "catalog-1", adminPort: node("catalog-1").ports.admin as number })).fault,
    ).toBeNull();
    const failedAtHeal = await decisions("catalog-1", "fault", "failed");
    for (let i = 0; i < 50; i++) expect((await getProduct("catalog-1", String(i + 1))).code).toBe(status.OK);
    expect(await decisions("catalog-1", "fault", "failed")).toBe(failedAtHeal);
  });

  it("latency: every call to catalog-2 takes at least the added 400 ms; after heal no call is delayed", async () => {
    const latency = unitOf(context, "latency");
    const injection = await latency.inject(
      { node: "catalog-2" },
      { delay: "400ms", operations: ["GetProduct"] },
      never,
    );
    try {
      expect(await latency.verify(injection)).toMatchObject({ tookEffect: true });
      const delayedBefore = await decisions("catalog-2", "fault", "delayed");
      for (let i = 0; i < 3; i++) {
        const call = await getProduct("catalog-2", String(i + 1));
        expect(call.code).toBe(status.OK);
        expect(call.elapsedMillis).toBeGreaterThanOrEqual(400);
      }
      expect((await decisions("catalog-2", "fault", "delayed")) - delayedBefore).toBe(3);
    } finally {
      await latency.heal(injection);
    }
    const delayedAtHeal = await decisions("catalog-2", "fault", "delayed");
    for (let i = 0; i < 3; i++) expect((await getProduct("catalog-2", String(i + 1))).code).toBe(status.OK);
    expect(await decisions("catalog-2", "fault", "delayed")).toBe(delayedAtHeal);
  });

  it("defense_switch: the catalogs' Bloom filter reads off and stops rejecting unknown ids; heal turns it back on", async () => {
    const defenseSwitch = unitOf(context, "defense_switch");
    const unknownId = (() => {
      let n = 0;
      return () => `no-such-product-${Date.now()}-${++n}`;
    })();
    const bloom = async () => {
      const adminPort = node("catalog-1").ports.admin as number;
      return (await readControl({ node: "catalog-1", adminPort })).switches["cache.bloom_filter"];
    };
    // Three unknown ids: the filter lets one in 100 through as a false positive, never three in a row.
    const rejectsUnknown = async () => {
      const rejectedBefore = await decisions("catalog-1", "cache", "bloom_reject");
      for (let i = 0; i < 3; i++) {
        expect((await getProduct("catalog-1", unknownId())).code).toBe(status.NOT_FOUND);
      }
      return (await decisions("catalog-1", "cache", "bloom_reject")) > rejectedBefore;
    };
    expect(await bloom()).toBe(true);
    expect(await rejectsUnknown()).toBe(true);

    const injection = await defenseSwitch.inject(
      { role: "catalog" },
      { switch: "cache.bloom_filter" },
      never,
    );
    expect(await defenseSwitch.verify(injection)).toMatchObject({ tookEffect: true });
    expect(await bloom()).toBe(false);
    const adminPort2 = node("catalog-2").ports.admin as number;
    expect(
      (await readControl({ node: "catalog-2", adminPort: adminPort2 })).switches["cache.bloom_filter"],
    ).toBe(false);
    expect(await rejectsUnknown()).toBe(false);

    await defenseSwitch.heal(injection);
    expect(await bloom()).toBe(true);
    expect(await rejectsUnknown()).toBe(true);
  });

  it("a wrong target fails inject and leaves the shop as it was; in a run it ends the run in error", async () => {
    const nodes = shop.shop.supervisor.statuses();
    await expect(unitOf(context, "kill").inject({ node: "catalog-9" }, {}, never)).rejects.toThrow(
      /target \{"node":"catalog-9"\}: no node named catalog-9 \(nodes: .*catalog-1.*gateway-1\)/,
    );
    await expect(unitOf(context, "pause").inject({ role: "warehouse" }, {}, never)).rejects.toThrow(
      /no node has role warehouse \(roles: .*catalog.*gateway/,
    );
    await expect(
      unitOf(context, "error_rate").inject({ node: "redis-1" }, { rate: 1 }, never),
    ).rejects.toThrow(/node redis-1 has no admin port/);
    await expect(
      unitOf(context, "defense_switch").inject({}, { switch: "no_such_defense" }, never),
    ).rejects.toThrow(/no running node has a switch named no_such_defense \(switches: .*cache\.bloom_filter/);
    expect(shop.shop.supervisor.statuses()).toEqual(nodes);
    for (const node of nodes) expect(processState(node.pid)).not.toBe("T");

    const experiment = parseExperiment(
      "title: a kill aimed at no node\nmethod:\n  - { at: 0s, fault: kill, target: { node: catalog-9 }, duration: 1s }\n",
      "wrong-target.yaml",
      { faults: faultCatalog() },
    );
    const { reports } = await runExperiments([experiment], {
      topology: shop.shop.supervisor,
      journal: new MemoryJournal(),
      telemetry: new InMemoryTelemetry(),
      seed: 1,
    });
    expect(reports[0]).toMatchObject({ status: "error" });
    expect(reports[0]?.reason).toMatch(
      /fault kill \(kill\) could not be injected: .*no node named catalog-9/,
    );
    expect(shop.shop.supervisor.statuses()).toEqual(nodes);
  });

  it("a real run times detection and recovery of an injected gateway fault from the collector's telemetry", {
    timeout: 90_000,
  }, async () => {
    const experiment = parseExperiment(
      `title: fail every product page for 4 s
load:
  flood:
    ratePerSecond: 40
    duration: 12s
    timeout: 2s
    request: { method: GET, service: gateway, path: "/products/{{cycle 200}}" }
method:
  - { id: fail-pages, at: 3s, fault: error_rate, target: { node: gateway-1 }, config: { rate: 1 }, duration: 4s }
assertions:
  - name: failures show within a second
    kind: time_to_detect
    fault: fail-pages
    errors: { service: gateway, above: 0.2, over: 1s, minRequests: 5 }
    max: 1000
  - name: the agent's own decisions show it too
    kind: time_to_detect
    fault: fail-pages
    decision: { defense: fault, decision: failed, service: gateway }
    max: 1000
  - name: clean answers within a second of the heal
    kind: time_to_recover
    fault: fail-pages
    errors: { service: gateway, step: 500ms, sustain: 2s, minRequests: 5 }
    max: 1000
  - name: never detected on a service the fault does not touch
    kind: time_to_detect
    fault: fail-pages
    errors: { service: catalog }
    max: 1000
`,
      "timed.yaml",
      { faults: faultCatalog() },
    );
    const telemetry = openTelemetry(join(shop.runDir, "collector.db"));
    try {
      const { reports } = await runExperiments([experiment], {
        topology: shop.shop.supervisor,
        journal: new MemoryJournal(),
        telemetry: telemetry.telemetry,
        seed: 1,
        telemetryLagMillis: SHOP_TELEMETRY_LAG_MILLIS,
      });
      const assertions = reports[0]?.run.assertions ?? [];
      const outcome = (name: string) => assertions.find((a) => a.name === name);
      expect(outcome("failures show within a second")).toMatchObject({ valid: true });
      expect(outcome("the agent's own decisions show it too")).toMatchObject({ valid: true });
      expect(outcome("clean answers within a second of the heal")).toMatchObject({ valid: true });
      expect(outcome("never detected on a service the fault does not touch")).toMatchObject({
        valid: false,
        measured: null,
      });
      expect(reports[0]?.status).toBe("failed");
    } finally {
      telemetry.close();
    }
  });
});
