import { afterEach, describe, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import { StaticEndpoints } from "../../../fixtures/shop/registry/index.js";
import {
  createRpcClient,
  HashKeyMissingError,
  type LoadBalancingPolicy,
  NoEndpointsError,
  type RpcClient,
} from "../../../fixtures/shop/rpc/index.js";
import { type EchoReply, type EchoServer, echoDefinition, startEchoServer } from "./echo-server.js";
import { until } from "./until.js";

const servers: EchoServer[] = [];
const clients: RpcClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function fleet(count: number): Promise<EchoServer[]> {
  const started = await Promise.all(Array.from({ length: count }, (_, i) => startEchoServer(`s${i}`)));
  servers.push(...started);
  return started;
}

function clientOf(endpoints: StaticEndpoints, policy: LoadBalancingPolicy, random?: () => number): RpcClient {
  const client = createRpcClient({
    service: "echo",
    definition: echoDefinition,
    endpoints,
    policy,
    switches: new SwitchBoard(),
    ...(random === undefined ? {} : { random }),
  });
  clients.push(client);
  return client;
}

/** Which server answers each key. */
async function owners(client: RpcClient, keys: readonly string[]): Promise<Map<string, string>> {
  const answers = await Promise.all(keys.map((key) => client.call<EchoReply>("Get", { key }, { key })));
  return new Map(answers.map((answer) => [answer.key, answer.server]));
}

describe("client-side load balancing", () => {
  it("round robin gives each endpoint exactly the same share of calls", async () => {
    const started = await fleet(3);
    const client = clientOf(
      new StaticEndpoints(
        "echo",
        started.map((s) => s.address),
      ),
      "round_robin",
    );
    for (let i = 0; i < 30; i++) await client.call("Get", { key: String(i) });
    expect(started.map((s) => s.calls.Get)).toEqual([10, 10, 10]);
  });

  it("random follows its source of randomness and reaches every endpoint", async () => {
    const started = await fleet(3);
    const sequence = [0.1, 0.5, 0.9];
    let next = 0;
    const client = clientOf(
      new StaticEndpoints(
        "echo",
        started.map((s) => s.address),
      ),
      "random",
      () => sequence[next++ % sequence.length] as number,
    );
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push((await client.call<EchoReply>("Get", { key: "k" })).server);
    expect(answers).toEqual(["s0", "s1", "s2", "s0", "s1", "s2"]);
  });

  it("consistent hash sends every key to the same endpoint each time", async () => {
    const started = await fleet(3);
    const client = clientOf(
      new StaticEndpoints(
        "echo",
        started.map((s) => s.address),
      ),
      "consistent_hash",
    );
    const keys = Array.from({ length: 60 }, (_, i) => `product-${i}`);
    const first = await owners(client, keys);
    const second = await owners(client, keys);
    expect(second).toEqual(first);
    // Virtual nodes spread 60 keys over all three endpoints.
    expect(new Set(first.values()).size).toBe(3);
  });

  it("consistent hash moves only the keys of an endpoint that leaves", async () => {
    const started = await fleet(3);
    const endpoints = new StaticEndpoints(
      "echo",
      started.map((s) => s.address),
    );
    const client = clientOf(endpoints, "consistent_hash");
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const before = await owners(client, keys);
    endpoints.set([started[0]?.address as string, started[2]?.address as string]);
    const after = await owners(client, keys);
    let moved = 0;
    for (const key of keys) {
      if (before.get(key) === "s1") {
        moved++;
        expect(after.get(key)).not.toBe("s1");
      } else {
        expect(after.get(key)).toBe(before.get(key));
      }
    }
    expect(moved).toBeGreaterThan(0);
  });

  it("consistent hash refuses a call without a key", async () => {
    const started = await fleet(1);
    const client = clientOf(
      new StaticEndpoints(
        "echo",
        started.map((s) => s.address),
      ),
      "consistent_hash",
    );
    await expect(client.call("Get", { key: "k" })).rejects.toBeInstanceOf(HashKeyMissingError);
    expect(started[0]?.totalCalls()).toBe(0);
  });

  it("power of two choices sends new calls to the endpoint with fewer calls in flight", async () => {
    const [stuck, free] = await fleet(2);
    if (stuck === undefined || free === undefined) throw new Error("two servers expected");
    stuck.behavior.hold = true;
    const client = clientOf(new StaticEndpoints("echo", [stuck.address, free.address]), "p2c_least_request");
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const stuckBefore = stuck.totalCalls();
      let settled = false;
      const call = client.call("Get", { key: String(i) }, { deadlineMillis: 10_000 });
      pending.push(call.finally(() => (settled = true)));
      // The next pick must see this call either finished (free server) or still in flight (stuck server).
      await until(() => settled || stuck.totalCalls() > stuckBefore);
    }
    // Round robin would have sent 10 there; p2c sends at most the one that started while both were idle.
    expect(stuck.totalCalls()).toBeLessThanOrEqual(1);
    expect(free.totalCalls()).toBeGreaterThanOrEqual(19);
    stuck.release();
    await Promise.all(pending);
  });

  it("round robin never picks an endpoint that left the list", async () => {
    const started = await fleet(3);
    const endpoints = new StaticEndpoints(
      "echo",
      started.map((s) => s.address),
    );
    const client = clientOf(endpoints, "round_robin");
    await client.call("Get", { key: "warm" });
    endpoints.set([started[1]?.address as string]);
    for (let i = 0; i < 10; i++) await client.call("Get", { key: String(i) });
    expect(started[1]?.calls.Get).toBe(10);
    expect((started[0]?.calls.Get ?? 0) + (started[2]?.calls.Get ?? 0)).toBe(1);
  });

  it("an empty endpoint list fails the call with a NoEndpointsError", async () => {
    const client = clientOf(new StaticEndpoints("echo", []), "round_robin");
    await expect(client.call("Get", { key: "k" })).rejects.toBeInstanceOf(NoEndpointsError);
  });
});
