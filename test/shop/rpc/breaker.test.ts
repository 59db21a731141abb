import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registry, SwitchBoard } from "../../../agents/index.js";
import { StaticEndpoints } from "../../../fixtures/shop/registry/index.js";
import {
  type BreakerOptions,
  type BreakerState,
  CircuitOpenError,
  createRpcClient,
  RPC_DEFENSES,
  RPC_SWITCHES,
  RpcCallError,
  type RpcClient,
} from "../../../fixtures/shop/rpc/index.js";
import { decisionCount } from "./decisions.js";
import { type EchoServer, echoDefinition, startEchoServer } from "./echo-server.js";
import { until } from "./until.js";

const servers: EchoServer[] = [];
const clients: RpcClient[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function server(fail?: status): Promise<EchoServer> {
  const started = await startEchoServer("callee", fail === undefined ? {} : { fail });
  servers.push(started);
  return started;
}

function clientOf(target: EchoServer, breaker: BreakerOptions, switches = new SwitchBoard()) {
  const client = createRpcClient({
    service: "echo",
    definition: echoDefinition,
    endpoints: new StaticEndpoints("echo", [target.address]),
    retry: { maxAttempts: 1 },
    breaker,
    outlier: false,
    switches,
  });
  clients.push(client);
  const states: BreakerState[] = [];
  client.on("breakerStateChange", (state: BreakerState) => states.push(state));
  return { client, states };
}

async function failures(client: RpcClient, count: number): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (let i = 0; i < count; i++)
    errors.push(await client.call("Get", { key: String(i) }).catch((e: unknown) => e));
  return errors;
}

/** Cockatiel reads Date.now() for half-open timing; only Date is faked, sockets and timers stay real. */
function freezeDate(): void {
  vi.useFakeTimers({ toFake: ["Date"] });
}

function advanceDate(millis: number): void {
  vi.setSystemTime(Date.now() + millis);
}

describe("circuit breaker", () => {
  it("opens after 3 consecutive failures and then refuses calls without reaching the server", async () => {
    const callee = await server(status.UNAVAILABLE);
    const { client, states } = clientOf(callee, { consecutiveFailures: 3, halfOpenAfterMillis: 60_000 });
    const opened = await decisionCount(RPC_DEFENSES.circuitBreaker, "opened");
    const rejected = await decisionCount(RPC_DEFENSES.circuitBreaker, "rejected");

    const first = await failures(client, 3);
    expect(first.every((e) => e instanceof RpcCallError)).toBe(true);
    expect(client.breakerState).toBe("open");

    const refused = await failures(client, 5);
    expect(refused.every((e) => e instanceof CircuitOpenError)).toBe(true);
    expect(callee.calls.Get).toBe(3);
    expect(states).toEqual(["open"]);
    expect(await decisionCount(RPC_DEFENSES.circuitBreaker, "opened")).toBe(opened + 1);
    expect(await decisionCount(RPC_DEFENSES.circuitBreaker, "rejected")).toBe(rejected + 5);
    expect(await registry.getSingleMetricAsString("shakedown_rpc_circuit_breaker_state")).toContain(
      'shakedown_rpc_circuit_breaker_state{peer_service="echo"} 1',
    );
  });

  it("half-open admits one probe and refuses other calls at once; a successful probe closes the breaker", async () => {
    freezeDate();
    const callee = await server(status.UNAVAILABLE);
    const { client, states } = clientOf(callee, { consecutiveFailures: 3, halfOpenAfterMillis: 10_000 });
    await failures(client, 3);
    await expect(client.call("Get", { key: "early" })).rejects.toBeInstanceOf(CircuitOpenError);

    callee.behavior = { hold: true };
    advanceDate(10_000);
    const halfOpened = await decisionCount(RPC_DEFENSES.circuitBreaker, "half_opened");
    const probe = client.call("Get", { key: "probe" });
    await until(() => callee.calls.Get === 4);
    expect(client.breakerState).toBe("half_open");
    expect(await decisionCount(RPC_DEFENSES.circuitBreaker, "half_opened")).toBe(halfOpened + 1);
    // Refused without waiting for the probe, which the server holds.
    const second = await client.call("Get", { key: "second" }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(CircuitOpenError);
    expect((second as CircuitOpenError).state).toBe("half_open");
    expect(callee.calls.Get).toBe(4);

    callee.behavior = {};
    callee.release();
    await expect(probe).resolves.toMatchObject({ key: "probe" });
    expect(client.breakerState).toBe("closed");
    await expect(client.call("Get", { key: "third" })).resolves.toMatchObject({ key: "third" });
    expect(callee.calls.Get).toBe(5);
    expect(states).toEqual(["open", "half_open", "closed"]);
  });

  it("a failing probe opens the breaker again", async () => {
    freezeDate();
    const callee = await server(status.UNAVAILABLE);
    const { client, states } = clientOf(callee, { consecutiveFailures: 3, halfOpenAfterMillis: 10_000 });
    await failures(client, 3);
    advanceDate(10_000);

    await expect(client.call("Get", { key: "probe" })).rejects.toBeInstanceOf(RpcCallError);
    expect(client.breakerState).toBe("open");
    await expect(client.call("Get", { key: "after" })).rejects.toBeInstanceOf(CircuitOpenError);
    expect(callee.calls.Get).toBe(4);
    expect(states).toEqual(["open", "half_open", "open"]);
  });

  it("a time-based breaker opens when more than half the calls in its window fail", async () => {
    freezeDate();
    const callee = await server();
    const { client } = clientOf(callee, { failureRatio: 0.5, windowMillis: 10_000, minimumRps: 0.5 });
    for (let i = 0; i < 4; i++) await client.call("Get", { key: String(i) });
    callee.behavior = { fail: status.INTERNAL };

    await failures(client, 4);
    // 4 failures of 8 calls is not more than half.
    expect(client.breakerState).toBe("closed");
    await failures(client, 1);
    expect(client.breakerState).toBe("open");
    expect(callee.calls.Get).toBe(9);
  });

  it("answers that blame the request, such as NOT_FOUND, do not open the breaker", async () => {
    const callee = await server(status.NOT_FOUND);
    const { client } = clientOf(callee, { consecutiveFailures: 3 });

    await failures(client, 10);

    expect(client.breakerState).toBe("closed");
    expect(callee.calls.Get).toBe(10);
  });

  it("with rpc.circuit_breaker off the failing server keeps receiving every call, and with it on it stops", async () => {
    const callee = await server(status.UNAVAILABLE);
    const switches = new SwitchBoard();
    const breakerSwitch = switches.define(RPC_SWITCHES.circuitBreaker);
    const { client } = clientOf(callee, { consecutiveFailures: 3, halfOpenAfterMillis: 60_000 }, switches);

    breakerSwitch.set(false);
    const off = await failures(client, 10);
    expect(off.every((e) => e instanceof RpcCallError)).toBe(true);
    expect(callee.calls.Get).toBe(10);

    breakerSwitch.set(true);
    await failures(client, 10);
    expect(callee.calls.Get).toBe(13);

    // An open breaker switched off lets calls through again.
    breakerSwitch.set(false);
    await failures(client, 2);
    expect(callee.calls.Get).toBe(15);
  });
});
