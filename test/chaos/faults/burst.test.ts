import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { burst } from "../../../chaos/faults/burst.js";
import { type FaultContext, seededRandom } from "../../../chaos/faults/context.js";
import { isFaultError } from "../../../chaos/faults/errors.js";
import type { NodeStatus } from "../../../chaos/supervisor/node-spec.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (url: string, response: ServerResponse) => void): Promise<number> {
  const server = createServer((request, response) => handler(String(request.url), response));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function unit(ports: number[]) {
  const nodes: NodeStatus[] = ports.map((port, i) => ({
    name: `gateway-${i + 1}`,
    role: "gateway",
    pid: 1,
    state: "healthy",
    host: "127.0.0.1",
    ports: { http: port },
    restarts: 0,
    exitCode: null,
    exitSignal: null,
  }));
  const context: FaultContext = {
    topology: { statuses: () => nodes, restart: async () => {}, setStartEnvironment: () => {} },
    random: seededRandom(1),
  };
  return burst(context);
}

const never = new AbortController().signal;

describe("the burst fault", () => {
  it("has all its requests in flight together: the server answers none until the last has arrived", async () => {
    const held: ServerResponse[] = [];
    const paths: string[] = [];
    const total = 300;
    const port = await serve((url, response) => {
      paths.push(url);
      held.push(response);
      if (held.length === total) for (const waiting of held) waiting.end("ok");
    });
    const fault = unit([port]);
    const injection = await fault.inject(
      { role: "gateway" },
      { requests: total, path: "/products/{{cycle 3}}", timeout: "10s" },
      never,
    );
    const verification = await fault.verify(injection);
    expect(verification.tookEffect).toBe(true);
    expect(verification.evidence).toMatch(
      /^300 requests sent at once to gateway-1; 300 answered within \d+ ms \(200 ×300\)$/,
    );
    expect(paths.filter((path) => path === "/products/3")).toHaveLength(100);
    await fault.heal(injection);
  });

  it("spreads the requests over the target nodes and reports every status", async () => {
    const a = await serve((_url, response) => response.writeHead(200).end());
    const b = await serve((_url, response) => response.writeHead(429).end());
    const fault = unit([a, b]);
    const injection = await fault.inject({ role: "gateway" }, { requests: 10, path: "/" }, never);
    expect((await fault.verify(injection)).evidence).toMatch(
      /10 requests sent at once to gateway-1, gateway-2; 10 answered within \d+ ms \(200 ×5, 429 ×5\)/,
    );
  });

  it("aborts the requests still out when healed", async () => {
    let arrived = 0;
    let closed = 0;
    const server = createServer((request) => {
      arrived++;
      request.socket.on("close", () => closed++);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fault = unit([(server.address() as AddressInfo).port]);
    const injection = await fault.inject(
      { node: "gateway-1" },
      { requests: 5, path: "/", timeout: "30s" },
      never,
    );
    while (arrived < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    await fault.heal(injection);
    await fault.heal(injection);
    while (closed < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(5);
  });

  it("does not take effect when no request was answered", async () => {
    const server = createServer((request) => request.socket.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fault = unit([(server.address() as AddressInfo).port]);
    const injection = await fault.inject({ role: "gateway" }, { requests: 3, path: "/" }, never);
    expect(await fault.verify(injection)).toMatchObject({
      tookEffect: false,
      evidence: expect.stringMatching(/0 answered .*\(none\), no answer: .*×3/),
    });
  });

  it("refuses a template it cannot fill before sending anything", async () => {
    let arrived = 0;
    const port = await serve((_url, response) => {
      arrived++;
      response.end();
    });
    const error = await unit([port])
      .inject({ role: "gateway" }, { requests: 5, path: "/products/{{random 9}}" }, never)
      .catch((e: unknown) => e);
    expect(isFaultError(error) && error.code).toBe("SHAKEDOWN_FAULT_CONFIG");
    expect(arrived).toBe(0);
  });
});
