import type { Etcd3 } from "etcd3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import {
  createEtcdClient,
  decodeEndpoint,
  type EndpointWatcher,
  endpointKey,
  HEALTH_DEREGISTRATION_DEFENSE,
  REGISTRY_SWITCHES,
  type Registration,
  register,
  watchEndpoints,
} from "../../../fixtures/shop/registry/index.js";
import { decisionCount } from "../rpc/decisions.js";
import { until } from "../rpc/until.js";
import { type RestartableEtcd, startRestartableEtcd } from "./etcd-process.js";
import { type RegisteredProcess, startRegisteredEcho } from "./process.js";

let etcdServer: RestartableEtcd;
let etcd: Etcd3;
const registrations: Registration[] = [];
const watchers: EndpointWatcher[] = [];
const processes: RegisteredProcess[] = [];

beforeAll(async () => {
  etcdServer = await startRestartableEtcd();
  etcd = createEtcdClient({ hosts: etcdServer.endpoint });
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  await Promise.all(registrations.splice(0).map((r) => r.close()));
  await Promise.all(watchers.splice(0).map((w) => w.close()));
  // A test that stopped etcd leaves it running again for the next one.
  if (!etcdServer.running()) await etcdServer.start();
  await eventually(() => etcd.delete().prefix("/services/").exec());
});

afterAll(async () => {
  etcd.close();
  await etcdServer.destroy();
});

function registered(options: Partial<Parameters<typeof register>[0]> & { instanceId: string }): Registration {
  const registration = register({ etcd, service: "catalog", address: "127.0.0.1:50051", ...options });
  registrations.push(registration);
  return registration;
}

function watching(service: string): EndpointWatcher {
  const watcher = watchEndpoints({ etcd, service, switches: new SwitchBoard() });
  watchers.push(watcher);
  return watcher;
}

async function read(key: string): Promise<string | null> {
  return eventually(() => etcd.get(key).string());
}

/** Retries an etcd call for a while: right after a restart the client may still be reconnecting. */
async function eventually<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("registration", () => {
  it("puts /services/<service>/<instance> with address, instance id, start time and metadata under a lease", async () => {
    const registration = registered({ instanceId: "catalog-1", metadata: { zone: "a" } });
    await registration.ready();

    const key = endpointKey("catalog", "catalog-1");
    expect(key).toBe("/services/catalog/catalog-1");
    const entry = decodeEndpoint(key, (await read(key)) ?? "");
    expect(entry).toMatchObject({
      service: "catalog",
      instanceId: "catalog-1",
      address: "127.0.0.1:50051",
      metadata: { zone: "a" },
    });
    expect(Number.isNaN(Date.parse(entry.startedAt))).toBe(false);
    const stored = await etcd.get(key).exec();
    expect(stored.kvs[0]?.lease).toBe(registration.leaseId);
    expect(registration.state).toBe("registered");
  });

  it("close() revokes the lease, so the key is gone at once rather than after the TTL", async () => {
    const registration = registered({ instanceId: "catalog-1", ttlSeconds: 60 });
    await registration.ready();

    await registration.close();

    expect(await read(endpointKey("catalog", "catalog-1"))).toBeNull();
    expect(registration.state).toBe("closed");
  });

  it("a process stopped with SIGTERM deregisters on its way out", async () => {
    const instance = await startRegisteredEcho({
      etcdEndpoint: etcdServer.endpoint,
      service: "catalog",
      instanceId: "catalog-term",
      ttlSeconds: 60,
    });
    processes.push(instance);
    expect(await read(endpointKey("catalog", "catalog-term"))).not.toBeNull();

    instance.signal("SIGTERM");

    expect(await instance.exited).toEqual({ code: 0, signal: null });
    // With a 60 s lease, only the revoke can have removed the key this soon.
    expect(await read(endpointKey("catalog", "catalog-term"))).toBeNull();
  });

  it("a process killed with SIGKILL leaves the watchers' lists within TTL + 1 s", async () => {
    const ttlSeconds = 3;
    const watcher = watching("catalog");
    const [victim, survivor] = await Promise.all(
      ["catalog-1", "catalog-2"].map((instanceId) =>
        startRegisteredEcho({
          etcdEndpoint: etcdServer.endpoint,
          service: "catalog",
          instanceId,
          ttlSeconds,
        }),
      ),
    );
    if (victim === undefined || survivor === undefined) throw new Error("two instances expected");
    processes.push(victim, survivor);
    await until(() => watcher.endpoints().length === 2, "both instances listed");

    await victim.stop();
    // The claim under test: gone from the list within the lease TTL plus one second of the kill.
    await until(
      () => watcher.endpoints().every((e) => e.instanceId !== "catalog-1"),
      "the killed instance to leave the list",
      ((ttlSeconds + 1) * 1000) / 5,
    );

    expect(watcher.endpoints().map((e) => e.instanceId)).toEqual(["catalog-2"]);
  });

  it("a lease lost in etcd is replaced by a new one and the key put back", async () => {
    const registration = registered({ instanceId: "catalog-1" });
    await registration.ready();
    const first = registration.leaseId as string;
    const lost = new Promise((resolve) => registration.once("lost", resolve));

    await etcd.leaseClient.leaseRevoke({ ID: first });

    await lost;
    await until(() => registration.state === "registered", "registration again");
    expect(registration.leaseId).not.toBe(first);
    const stored = await etcd.get(endpointKey("catalog", "catalog-1")).exec();
    expect(stored.kvs[0]?.lease).toBe(registration.leaseId);
  });

  it("instances register again after etcd restarts without its data", async () => {
    const registration = registered({ instanceId: "catalog-1" });
    await registration.ready();
    const lost = new Promise((resolve) => registration.once("lost", resolve));

    await etcdServer.kill();
    await etcdServer.start({ wipe: true });

    // The next keepalive learns that etcd no longer knows the lease.
    await lost;
    await until(() => registration.state === "registered", "registration after the restart");
    expect(await read(endpointKey("catalog", "catalog-1"))).not.toBeNull();
  });

  it("instances register again after an etcd outage longer than their lease", async () => {
    const registration = registered({ instanceId: "catalog-1", ttlSeconds: 2 });
    await registration.ready();
    const first = registration.leaseId;
    const lost = new Promise((resolve) => registration.once("lost", resolve));

    await etcdServer.kill();
    // The client gives a lease up after 2 × TTL without a keepalive answer.
    await lost;
    await etcdServer.start();

    await until(() => registration.state === "registered", "registration after the outage", 4000);
    expect(registration.leaseId).not.toBe(first);
    const stored = await eventually(() => etcd.get(endpointKey("catalog", "catalog-1")).exec());
    expect(stored.kvs[0]?.lease).toBe(registration.leaseId);
  });
});

describe("health-driven deregistration", () => {
  function probed(healthy: { value: boolean }, switches: SwitchBoard) {
    let probes = 0;
    const registration = registered({
      instanceId: "catalog-1",
      health: () => {
        probes++;
        return healthy.value;
      },
      healthIntervalMillis: 20,
      switches,
    });
    return { registration, probes: () => probes };
  }

  it("an unhealthy instance withdraws its key, and puts it back once healthy again", async () => {
    const healthy = { value: true };
    const { registration } = probed(healthy, new SwitchBoard());
    await registration.ready();
    const watcher = watching("catalog");
    await until(() => watcher.endpoints().length === 1, "the instance listed");
    const withdrawn = await decisionCount(HEALTH_DEREGISTRATION_DEFENSE, "withdrawn");
    const restored = await decisionCount(HEALTH_DEREGISTRATION_DEFENSE, "restored");

    healthy.value = false;
    await until(() => watcher.endpoints().length === 0, "the unhealthy instance to leave the list");
    await until(() => registration.state === "withdrawn", "the registration to say withdrawn");
    expect(await read(endpointKey("catalog", "catalog-1"))).toBeNull();

    healthy.value = true;
    await until(() => watcher.endpoints().length === 1, "the healthy instance back in the list");
    // The watch event can arrive before the registration has recorded its own state change.
    await until(() => registration.state === "registered", "the registration to say registered");
    expect(await decisionCount(HEALTH_DEREGISTRATION_DEFENSE, "withdrawn")).toBe(withdrawn + 1);
    expect(await decisionCount(HEALTH_DEREGISTRATION_DEFENSE, "restored")).toBe(restored + 1);
  });

  it("with registry.health_deregistration off an unhealthy instance stays registered, and with it on it leaves", async () => {
    const healthy = { value: true };
    const switches = new SwitchBoard();
    const healthSwitch = switches.define(REGISTRY_SWITCHES.healthDeregistration);
    const { registration, probes } = probed(healthy, switches);
    await registration.ready();
    healthSwitch.set(false);

    healthy.value = false;
    const seen = probes();
    await until(() => probes() >= seen + 10, "ten probes of the unhealthy instance");
    expect(registration.state).toBe("registered");
    expect(await read(endpointKey("catalog", "catalog-1"))).not.toBeNull();

    healthSwitch.set(true);
    await until(() => registration.state === "withdrawn", "withdrawal once the switch is on");
    expect(await read(endpointKey("catalog", "catalog-1"))).toBeNull();
  });
});
