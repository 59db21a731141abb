import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { Switch, SwitchBoard } from "../../../agents/index.js";
import { StaticEndpoints } from "../../../fixtures/shop/registry/index.js";
import {
  createRpcClient,
  OutlierDetector,
  type OutlierOptions,
  RPC_DEFENSES,
  RPC_SWITCHES,
  type RpcClient,
} from "../../../fixtures/shop/rpc/index.js";
import { decisionCount } from "./decisions.js";
import { type EchoServer, echoDefinition, startEchoServer } from "./echo-server.js";

const servers: EchoServer[] = [];
const clients: RpcClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function fleet(...fails: (status | undefined)[]): Promise<EchoServer[]> {
  const started = await Promise.all(
    fails.map((fail, i) => startEchoServer(`s${i}`, fail === undefined ? {} : { fail })),
  );
  servers.push(...started);
  return started;
}

function clientOf(
  targets: readonly EchoServer[],
  outlier: OutlierOptions,
  now: () => number,
  switches = new SwitchBoard(),
) {
  const client = createRpcClient({
    service: "echo",
    definition: echoDefinition,
    endpoints: new StaticEndpoints(
      "echo",
      targets.map((s) => s.address),
    ),
    policy: "round_robin",
    retry: { maxAttempts: 1 },
    breaker: false,
    outlier,
    switches,
    now,
  });
  clients.push(client);
  return client;
}

async function calls(client: RpcClient, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await client.call("Get", { key: String(i) }).catch(() => undefined);
}

describe("outlier ejection", () => {
  it("ejects an endpoint after 3 failures in a row and brings it back after its ejection time", async () => {
    let now = 0;
    const [bad, good] = await fleet(status.UNAVAILABLE, undefined);
    if (bad === undefined || good === undefined) throw new Error("two servers expected");
    const client = clientOf([bad, good], { consecutiveFailures: 3, baseEjectionMillis: 1000 }, () => now);
    const ejected = await decisionCount(RPC_DEFENSES.outlier, "ejected");
    const returned = await decisionCount(RPC_DEFENSES.outlier, "returned");

    await calls(client, 6);
    expect([bad.calls.Get, good.calls.Get]).toEqual([3, 3]);
    expect(client.ejectedEndpoints()).toEqual([bad.address]);

    await calls(client, 10);
    expect([bad.calls.Get, good.calls.Get]).toEqual([3, 13]);

    bad.behavior = {};
    now = 1000;
    await calls(client, 10);
    expect(client.ejectedEndpoints()).toEqual([]);
    expect([bad.calls.Get, good.calls.Get]).toEqual([8, 18]);
    expect(await decisionCount(RPC_DEFENSES.outlier, "ejected")).toBe(ejected + 1);
    expect(await decisionCount(RPC_DEFENSES.outlier, "returned")).toBe(returned + 1);
  });

  it("never ejects more than maxEjectionPercent of the endpoints", async () => {
    const started = await fleet(
      status.UNAVAILABLE,
      status.UNAVAILABLE,
      status.UNAVAILABLE,
      status.UNAVAILABLE,
    );
    const client = clientOf(started, { consecutiveFailures: 2, maxEjectionPercent: 50 }, () => 0);
    const skipped = await decisionCount(RPC_DEFENSES.outlier, "ejection_skipped");

    await calls(client, 40);

    expect(client.ejectedEndpoints()).toHaveLength(2);
    expect(await decisionCount(RPC_DEFENSES.outlier, "ejection_skipped")).toBeGreaterThan(skipped);
  });

  it("with rpc.outlier_ejection off the failing endpoint keeps receiving its share of calls", async () => {
    const [bad, good] = await fleet(status.UNAVAILABLE, undefined);
    if (bad === undefined || good === undefined) throw new Error("two servers expected");
    const switches = new SwitchBoard();
    const client = clientOf([bad, good], { consecutiveFailures: 3 }, () => 0, switches);
    switches.define(RPC_SWITCHES.outlierEjection).set(false);

    await calls(client, 20);
    expect([bad.calls.Get, good.calls.Get]).toEqual([10, 10]);
    expect(client.ejectedEndpoints()).toEqual([]);

    switches.define(RPC_SWITCHES.outlierEjection).set(true);
    await calls(client, 20);
    // Its failure streak was counted all along, so its next failure ejects it.
    expect([bad.calls.Get, good.calls.Get]).toEqual([11, 29]);
  });
});

describe("outlier detector", () => {
  const address = "127.0.0.1:1";

  function failTimes(detector: OutlierDetector, count: number): void {
    for (let i = 0; i < count; i++) detector.record(address, true, 2);
  }

  it("doubles the ejection time with each ejection, up to the maximum", () => {
    let now = 0;
    const options = { consecutiveFailures: 2, baseEjectionMillis: 1000, maxEjectionMillis: 5000 };
    const detector = new OutlierDetector("echo", options, new Switch("test"), () => now);
    const ejectionTimes: number[] = [];
    for (let round = 0; round < 5; round++) {
      failTimes(detector, 2);
      const ejectedAt = now;
      while (detector.isEjected(address)) now += 100;
      ejectionTimes.push(now - ejectedAt);
    }
    expect(ejectionTimes).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it("ejects on a failure ratio over its interval once enough requests were seen", () => {
    let now = 0;
    const options = {
      consecutiveFailures: 100,
      failureRatio: 0.5,
      minimumRequests: 10,
      intervalMillis: 10_000,
    };
    const detector = new OutlierDetector("echo", options, new Switch("test"), () => now);
    for (let i = 0; i < 4; i++) {
      detector.record(address, false, 2);
      detector.record(address, true, 2);
    }
    // 4 of 8: below the minimum request count.
    expect(detector.isEjected(address)).toBe(false);
    detector.record(address, false, 2);
    detector.record(address, true, 2);
    expect(detector.isEjected(address)).toBe(true);
    now = 60_000;
    expect(detector.isEjected(address)).toBe(false);
  });
});
