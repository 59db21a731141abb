import { afterEach, describe, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import { StaticEndpoints } from "../../../fixtures/shop/registry/index.js";
import {
  BulkheadFullError,
  createRpcClient,
  RPC_DEFENSES,
  RPC_SWITCHES,
  type RpcClient,
} from "../../../fixtures/shop/rpc/index.js";
import { decisionCount } from "./decisions.js";
import { type EchoServer, echoDefinition, startEchoServer } from "./echo-server.js";
import { until } from "./until.js";

const servers: EchoServer[] = [];
const clients: RpcClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function heldServerAndClient(
  switches: SwitchBoard,
): Promise<{ callee: EchoServer; client: RpcClient }> {
  const callee = await startEchoServer("callee", { hold: true });
  servers.push(callee);
  const client = createRpcClient({
    service: "echo",
    definition: echoDefinition,
    endpoints: new StaticEndpoints("echo", [callee.address]),
    deadlineMillis: 10_000,
    bulkhead: { maxConcurrent: 2, maxQueue: 1 },
    switches,
  });
  clients.push(client);
  return { callee, client };
}

function settle(calls: Promise<unknown>[]): Promise<PromiseSettledResult<unknown>[]> {
  return Promise.allSettled(calls);
}

describe("bulkhead", () => {
  it("runs 2 calls, queues 1 and refuses the rest without reaching the server", async () => {
    const { callee, client } = await heldServerAndClient(new SwitchBoard());
    const rejected = await decisionCount(RPC_DEFENSES.bulkhead, "rejected");

    const calls = Array.from({ length: 5 }, (_, i) => client.call("Get", { key: String(i) }));
    const refused = await settle(calls.slice(3));
    expect(refused.map((r) => r.status === "rejected" && r.reason instanceof BulkheadFullError)).toEqual([
      true,
      true,
    ]);
    await until(() => callee.calls.Get === 2);

    callee.behavior = {};
    callee.release();
    const admitted = await settle(calls.slice(0, 3));
    expect(admitted.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    expect(callee.calls.Get).toBe(3);
    expect(await decisionCount(RPC_DEFENSES.bulkhead, "rejected")).toBe(rejected + 2);
  });

  it("with rpc.bulkhead off every call reaches the server", async () => {
    const switches = new SwitchBoard();
    switches.define(RPC_SWITCHES.bulkhead).set(false);
    const { callee, client } = await heldServerAndClient(switches);

    const calls = Array.from({ length: 5 }, (_, i) => client.call("Get", { key: String(i) }));
    await until(() => callee.calls.Get === 5);

    callee.behavior = {};
    callee.release();
    const results = await settle(calls);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
  });
});
