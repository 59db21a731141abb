import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { SwitchBoard } from "../../../agents/index.js";
import { StaticEndpoints } from "../../../fixtures/shop/registry/index.js";
import {
  createRpcClient,
  RetryBudget,
  type RetryOptions,
  RPC_DEFENSES,
  RPC_SWITCHES,
  RpcCallError,
  type RpcClient,
} from "../../../fixtures/shop/rpc/index.js";
import { decisionCount } from "./decisions.js";
import { type EchoReply, type EchoServer, echoDefinition, startEchoServer } from "./echo-server.js";

const servers: EchoServer[] = [];
const clients: RpcClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** A failing server first in round-robin order, then a healthy one. */
async function failingThenHealthy(): Promise<[EchoServer, EchoServer]> {
  const failing = await startEchoServer("failing", { fail: status.UNAVAILABLE });
  const healthy = await startEchoServer("healthy");
  servers.push(failing, healthy);
  return [failing, healthy];
}

function clientOf(
  targets: readonly EchoServer[],
  retry: RetryOptions,
  switches = new SwitchBoard(),
  extra: { deadlineMillis?: number; now?: () => number } = {},
): RpcClient {
  const client = createRpcClient({
    service: "echo",
    definition: echoDefinition,
    endpoints: new StaticEndpoints(
      "echo",
      targets.map((s) => s.address),
    ),
    policy: "round_robin",
    retry: { baseMillis: 1, maxMillis: 5, ...retry },
    breaker: false,
    outlier: false,
    switches,
    ...extra,
  });
  clients.push(client);
  return client;
}

describe("retries", () => {
  it("an idempotent call that fails with UNAVAILABLE is retried on the other endpoint and succeeds", async () => {
    const [failing, healthy] = await failingThenHealthy();
    const client = clientOf([failing, healthy], {});
    const retried = await decisionCount(RPC_DEFENSES.retry, "retried");

    const reply = await client.call<EchoReply>("Get", { key: "k" });

    expect(reply.server).toBe("healthy");
    expect([failing.calls.Get, healthy.calls.Get]).toEqual([1, 1]);
    expect(await decisionCount(RPC_DEFENSES.retry, "retried")).toBe(retried + 1);
  });

  it("a method the client lists as idempotent is retried like one the .proto marks", async () => {
    const [failing, healthy] = await failingThenHealthy();
    // Listed by proto-loader's camelCase name, called by the .proto name: the same method.
    const client = clientOf([failing, healthy], { idempotentMethods: ["touch"] });

    const reply = await client.call<EchoReply>("Touch", { key: "k" });

    expect(reply.server).toBe("healthy");
    expect([failing.calls.Touch, healthy.calls.Touch]).toEqual([1, 1]);
  });

  it("a non-idempotent call is sent once and its failure returned", async () => {
    const [failing, healthy] = await failingThenHealthy();
    const client = clientOf([failing, healthy], { idempotentMethods: ["Touch"] });
    const refused = await decisionCount(RPC_DEFENSES.retry, "refused_not_idempotent");

    const error = await client.call("Put", { key: "k" }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RpcCallError);
    expect((error as RpcCallError).grpcCode).toBe(status.UNAVAILABLE);
    expect([failing.calls.Put, healthy.calls.Put]).toEqual([1, 0]);
    expect(await decisionCount(RPC_DEFENSES.retry, "refused_not_idempotent")).toBe(refused + 1);
  });

  it("a non-idempotent call whose endpoint refuses connections goes to another: it never left the client", async () => {
    const gone = await startEchoServer("gone");
    const healthy = await startEchoServer("healthy");
    servers.push(healthy);
    await gone.stop();
    const switches = new SwitchBoard();
    const client = clientOf([gone, healthy], {}, switches);

    const reply = await client.call<EchoReply>("Put", { key: "k" });
    expect(reply.server).toBe("healthy");
    expect(healthy.calls.Put).toBe(1);

    switches.define(RPC_SWITCHES.retries).set(false);
    const errors = [];
    for (let i = 0; i < 2; i++) errors.push(await client.call("Put", { key: "k" }).catch((e: unknown) => e));
    // Round robin sends one of the two to the closed port; without retries that one fails.
    expect(errors.filter((e) => e instanceof RpcCallError)).toHaveLength(1);
    expect(String(errors.find((e) => e instanceof RpcCallError))).toMatch(/No connection established/);
  });

  it("a request error such as NOT_FOUND is not retried", async () => {
    const missing = await startEchoServer("missing", { fail: status.NOT_FOUND });
    const healthy = await startEchoServer("healthy");
    servers.push(missing, healthy);
    const client = clientOf([missing, healthy], {});

    await expect(client.call("Get", { key: "k" })).rejects.toMatchObject({ grpcCode: status.NOT_FOUND });
    expect([missing.calls.Get, healthy.calls.Get]).toEqual([1, 0]);
  });

  it("retries stop once the retry budget is spent", async () => {
    const a = await startEchoServer("a", { fail: status.UNAVAILABLE });
    const b = await startEchoServer("b", { fail: status.UNAVAILABLE });
    servers.push(a, b);
    // A frozen clock: the window never slides, so the budget is exactly 10% of the 20 requests.
    const client = clientOf(
      [a, b],
      { maxAttempts: 3, budgetRatio: 0.1, budgetMinRetries: 0 },
      new SwitchBoard(),
      {
        now: () => 0,
      },
    );
    const exhausted = await decisionCount(RPC_DEFENSES.retry, "budget_exhausted");

    for (let i = 0; i < 20; i++) await client.call("Get", { key: String(i) }).catch(() => undefined);

    // Without a budget: 20 × 3 = 60 calls. With it: 20 first attempts and 2 retries (at the 10th and 20th).
    expect(a.totalCalls() + b.totalCalls()).toBe(22);
    expect(await decisionCount(RPC_DEFENSES.retry, "budget_exhausted")).toBe(exhausted + 20);
  });

  it("with rpc.retries off an idempotent call is not retried, and with it on again it is", async () => {
    const [failing, healthy] = await failingThenHealthy();
    const switches = new SwitchBoard();
    const client = clientOf([failing, healthy], {}, switches);
    switches.define(RPC_SWITCHES.retries).set(false);

    await expect(client.call("Get", { key: "k" })).rejects.toMatchObject({ grpcCode: status.UNAVAILABLE });
    expect([failing.calls.Get, healthy.calls.Get]).toEqual([1, 0]);

    switches.define(RPC_SWITCHES.retries).set(true);
    // Round robin resumes at the healthy server; the next call starts at the failing one again.
    await client.call("Get", { key: "k" });
    await expect(client.call<EchoReply>("Get", { key: "k" })).resolves.toMatchObject({ server: "healthy" });
    expect([failing.calls.Get, healthy.calls.Get]).toEqual([2, 2]);
  });

  it("a per-try timeout lets a retry reach a healthy endpoint within the call's deadline", async () => {
    const slow = await startEchoServer("slow", { delayMillis: 5000 });
    const fast = await startEchoServer("fast");
    servers.push(slow, fast);
    const client = clientOf([slow, fast], { perTryTimeoutMillis: 200 }, new SwitchBoard(), {
      deadlineMillis: 4000,
    });

    await expect(client.call<EchoReply>("Get", { key: "k" })).resolves.toMatchObject({ server: "fast" });
    expect([slow.calls.Get, fast.calls.Get]).toEqual([1, 1]);
  });
});

describe("retry budget", () => {
  it("allows ratio × requests retries plus the minimum, and refills as its window slides", () => {
    let now = 0;
    const budget = new RetryBudget({ ratio: 0.5, minRetries: 1, windowMillis: 1000, now: () => now });
    for (let i = 0; i < 4; i++) budget.recordRequest();
    // 1 + 0.5 × 4 = 3 retries.
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now = 1000;
    // Requests and retries of the last window slid out: only the minimum is left.
    expect(budget.totals()).toEqual({ requests: 0, retries: 0 });
    expect([budget.tryAcquire(), budget.tryAcquire()]).toEqual([true, false]);
  });
});
