import type { Etcd3 } from "etcd3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import {
  createEtcdClient,
  type Endpoint,
  type EndpointWatcher,
  encodeEndpoint,
  endpointKey,
  REGISTRY_CACHE_DEFENSE,
  REGISTRY_SWITCHES,
  watchEndpoints,
} from "../../../fixtures/shop/registry/index.js";
import { decisionCount } from "../rpc/decisions.js";
import { until } from "../rpc/until.js";
import { type RestartableEtcd, startRestartableEtcd } from "./etcd-process.js";

let etcdServer: RestartableEtcd;
let etcd: Etcd3;
const watchers: EndpointWatcher[] = [];

beforeAll(async () => {
  etcdServer = await startRestartableEtcd();
  etcd = createEtcdClient({ hosts: etcdServer.endpoint });
});

afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.close()));
  if (!etcdServer.running()) await etcdServer.start();
  await eventually(() => etcd.delete().prefix("/services/").exec());
});

afterAll(async () => {
  etcd.close();
  await etcdServer.destroy();
});

function entry(instanceId: string, port: number): Endpoint {
  return {
    service: "catalog",
    instanceId,
    address: `127.0.0.1:${port}`,
    startedAt: new Date().toISOString(),
    metadata: {},
  };
}

async function put(endpoint: Endpoint): Promise<void> {
  await etcd.put(endpointKey(endpoint.service, endpoint.instanceId)).value(encodeEndpoint(endpoint)).exec();
}

function watching(switches = new SwitchBoard()): EndpointWatcher {
  const watcher = watchEndpoints({ etcd, service: "catalog", switches });
  watchers.push(watcher);
  return watcher;
}

function ids(watcher: EndpointWatcher): string[] {
  return watcher.endpoints().map((e) => e.instanceId);
}

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

describe("endpoint watcher", () => {
  it("lists the instances already registered and follows arrivals and departures", async () => {
    await put(entry("catalog-1", 5001));
    await put(entry("catalog-2", 5002));
    await etcd
      .put(endpointKey("orders", "orders-1"))
      .value(encodeEndpoint(entry("orders-1", 6001)))
      .exec();
    const watcher = watching();
    const changes: string[][] = [];
    watcher.on("change", (endpoints: readonly Endpoint[]) =>
      changes.push(endpoints.map((e) => e.instanceId)),
    );

    await watcher.ready();
    expect(ids(watcher)).toEqual(["catalog-1", "catalog-2"]);

    await put(entry("catalog-3", 5003));
    await until(() => ids(watcher).length === 3, "the arrival");
    await etcd.delete().key(endpointKey("catalog", "catalog-1")).exec();
    await until(() => ids(watcher).length === 2, "the departure");

    expect(ids(watcher)).toEqual(["catalog-2", "catalog-3"]);
    expect(changes).toEqual([
      ["catalog-1", "catalog-2"],
      ["catalog-1", "catalog-2", "catalog-3"],
      ["catalog-2", "catalog-3"],
    ]);
  });

  it("skips an entry that is not an endpoint", async () => {
    await put(entry("catalog-1", 5001));
    await etcd.put(endpointKey("catalog", "junk")).value("not json").exec();
    const watcher = watching();
    await watcher.ready();
    expect(ids(watcher)).toEqual(["catalog-1"]);
  });

  it("keeps the last known endpoints while etcd is down, and reconciles with etcd once it is back", async () => {
    await put(entry("catalog-1", 5001));
    await put(entry("catalog-2", 5002));
    const watcher = watching();
    await watcher.ready();
    const kept = await decisionCount(REGISTRY_CACHE_DEFENSE, "kept_last_known");

    await etcdServer.kill();
    await until(() => !watcher.reachable, "the watcher to notice the outage");
    expect(ids(watcher)).toEqual(["catalog-1", "catalog-2"]);
    expect(await decisionCount(REGISTRY_CACHE_DEFENSE, "kept_last_known")).toBe(kept + 1);

    // etcd comes back without its data: the pre-outage list stays until an instance registers again,
    // and that registration then replaces it.
    await etcdServer.start({ wipe: true });
    await until(() => watcher.reachable, "the watcher to reconnect");
    expect(ids(watcher)).toEqual(["catalog-1", "catalog-2"]);
    await eventually(() => put(entry("catalog-2", 5002)));
    await until(() => ids(watcher).length === 1, "the list to follow etcd again");
    expect(ids(watcher)).toEqual(["catalog-2"]);
  });

  it("with rpc.registry_cache off the watcher drops its endpoints while etcd is down, and with it on keeps them", async () => {
    await put(entry("catalog-1", 5001));
    const switches = new SwitchBoard();
    const cacheSwitch = switches.define(REGISTRY_SWITCHES.cache);
    const watcher = watching(switches);
    await watcher.ready();

    cacheSwitch.set(false);
    await etcdServer.kill();
    await until(() => ids(watcher).length === 0, "the list to be dropped");

    await etcdServer.start();
    await until(() => ids(watcher).length === 1, "the list to come back with etcd");

    cacheSwitch.set(true);
    await etcdServer.kill();
    await until(() => !watcher.reachable, "the watcher to notice the second outage");
    expect(ids(watcher)).toEqual(["catalog-1"]);
  });
});
