import type { Etcd3 } from "etcd3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import {
  createEtcdClient,
  type EndpointWatcher,
  REGISTRY_SWITCHES,
  watchEndpoints,
} from "../../../fixtures/shop/registry/index.js";
import { createRpcClient, NoEndpointsError, type RpcClient } from "../../../fixtures/shop/rpc/index.js";
import { type RestartableEtcd, startRestartableEtcd } from "../registry/etcd-process.js";
import { type RegisteredProcess, startRegisteredEcho } from "../registry/process.js";
import { type EchoReply, echoDefinition } from "./echo-server.js";
import { steadyLoad } from "./load.js";
import { until } from "./until.js";

const TTL_SECONDS = 3;

let etcdServer: RestartableEtcd;
let etcd: Etcd3;
const processes: RegisteredProcess[] = [];
const watchers: EndpointWatcher[] = [];
const clients: RpcClient[] = [];

beforeAll(async () => {
  etcdServer = await startRestartableEtcd();
  etcd = createEtcdClient({ hosts: etcdServer.endpoint });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(watchers.splice(0).map((w) => w.close()));
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  if (!etcdServer.running()) await etcdServer.start();
  for (let attempt = 1; ; attempt++) {
    try {
      await etcd.delete().prefix("/services/").exec();
      break;
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});

afterAll(async () => {
  etcd.close();
  await etcdServer.destroy();
});

/** Two catalog instances as processes, a watcher and a round-robin client over them, all ready. */
async function shop(switches = new SwitchBoard()) {
  const started = await Promise.all(
    ["catalog-1", "catalog-2"].map((instanceId) =>
      startRegisteredEcho({
        etcdEndpoint: etcdServer.endpoint,
        service: "catalog",
        instanceId,
        ttlSeconds: TTL_SECONDS,
      }),
    ),
  );
  processes.push(...started);
  const watcher = watchEndpoints({ etcd, service: "catalog", switches });
  watchers.push(watcher);
  await until(() => watcher.endpoints().length === 2, "both instances listed");
  const client = createRpcClient({
    service: "catalog",
    definition: echoDefinition,
    endpoints: watcher,
    policy: "round_robin",
    deadlineMillis: 1000,
    switches,
  });
  clients.push(client);
  const get = async () => (await client.call<EchoReply>("Get", { key: "product-1" })).server;
  return { instances: started as [RegisteredProcess, RegisteredProcess], watcher, client, get };
}

describe("discovery through etcd", () => {
  it("callers stop routing to a SIGKILLed instance within TTL + 1 s while idempotent calls keep succeeding", async () => {
    const { instances, watcher, get } = await shop();
    const load = steadyLoad(get);
    // Steady traffic first: the retry budget earns its retries from recent requests (20% of them).
    await until(() => load.outcomes.length >= 50, "50 calls before the kill");
    expect(new Set(load.outcomes.map((o) => o.server))).toEqual(new Set(["catalog-1", "catalog-2"]));

    await instances[0].stop();
    await until(
      () => watcher.endpoints().every((e) => e.instanceId !== "catalog-1"),
      "the killed instance to leave the list",
      ((TTL_SECONDS + 1) * 1000) / 5,
    );
    const removedAt = Date.now();
    await until(() => load.outcomes.filter((o) => o.at > removedAt).length >= 20, "calls after the removal");
    const outcomes = await load.stop();

    expect(outcomes.filter((o) => o.error !== undefined)).toEqual([]);
    expect(new Set(outcomes.filter((o) => o.at > removedAt).map((o) => o.server))).toEqual(
      new Set(["catalog-2"]),
    );
  });

  it("with etcd down, calls keep succeeding on the last known endpoints; when it returns empty, instances register again", async () => {
    const { watcher, get } = await shop();
    const load = steadyLoad(get);

    await etcdServer.kill();
    await until(() => !watcher.reachable, "the watcher to notice the outage");
    const downAt = Date.now();
    await until(() => load.outcomes.filter((o) => o.at > downAt).length >= 20, "calls during the outage");
    const duringOutage = load.outcomes.filter((o) => o.at > downAt);
    expect(new Set(duringOutage.map((o) => o.server))).toEqual(new Set(["catalog-1", "catalog-2"]));

    await etcdServer.start({ wipe: true });
    await until(() => watcher.reachable, "the watcher to reconnect");
    await until(
      async () =>
        (
          await etcd
            .getAll()
            .prefix("/services/catalog/")
            .keys()
            .catch(() => [])
        ).length === 2,
      "both instances to register again",
    );
    await until(() => watcher.endpoints().length === 2, "both instances listed again");
    const outcomes = await load.stop();

    expect(outcomes.filter((o) => o.error !== undefined)).toEqual([]);
  });

  it("with rpc.registry_cache off, calls fail once etcd is down", async () => {
    const switches = new SwitchBoard();
    const { watcher, client } = await shop(switches);
    switches.define(REGISTRY_SWITCHES.cache).set(false);

    await etcdServer.kill();
    await until(() => watcher.endpoints().length === 0, "the list to be dropped");

    await expect(client.call("Get", { key: "product-1" })).rejects.toBeInstanceOf(NoEndpointsError);
  });
});
