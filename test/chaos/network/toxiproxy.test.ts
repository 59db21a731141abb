import { mkdtempSync, rmSync } from "node:fs";
import { createServer, get as httpGet, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FaultUnit, Injection } from "../../../chaos/experiment/fault-unit.js";
import { bandwidthFault } from "../../../chaos/faults/network/bandwidth.js";
import { blackholeFault } from "../../../chaos/faults/network/blackhole.js";
import { isNetworkFaultError } from "../../../chaos/faults/network/errors.js";
import { latencyFault } from "../../../chaos/faults/network/latency.js";
import { partitionFault } from "../../../chaos/faults/network/partition.js";
import { resetFault } from "../../../chaos/faults/network/reset.js";
import { readToxiproxyRecords, ToxiproxyServer } from "../../../chaos/faults/network/toxiproxy.js";

const signal = new AbortController().signal;

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });
}

/** GET through a link: the body, or the error code (ECONNRESET), or "timeout" after `waitMillis`. */
function get(listen: string, waitMillis = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const request = httpGet(`http://${listen}/`, { agent: false, timeout: waitMillis }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on("end", () => resolve(body));
    });
    request.on("timeout", () => {
      request.destroy();
      resolve("timeout");
    });
    request.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe("Toxiproxy link faults against a real HTTP server", () => {
  let stateDir: string;
  let toxiproxy: ToxiproxyServer;
  let web: Server;
  let silent: TcpServer;
  let link: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "shakedown-toxiproxy-"));
    web = createServer((_request, response) => response.end("hello"));
    // Accepts connections and never says a word: nothing can be measured through it.
    silent = createTcpServer(() => {});
    const [webPort, silentPort] = [await listen(web), await listen(silent)];
    toxiproxy = await ToxiproxyServer.start({ stateDir, id: "ttest1" });
    link = (await toxiproxy.addLink("client", "web", { host: "127.0.0.1", port: webPort })).listen;
    await toxiproxy.addLink("client", "mute", { host: "127.0.0.1", port: silentPort });
  });
  afterAll(async () => {
    await toxiproxy?.stop();
    web?.closeAllConnections();
    web?.close();
    silent?.close();
    expect(readToxiproxyRecords(stateDir)).toEqual([]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  const target = { link: { from: "client", to: "web" } };

  /** Injects and verifies, runs the checks while the fault is on, and always heals. */
  async function whileInjected(
    fault: FaultUnit,
    config: Record<string, string | number>,
    during: (evidence: string) => Promise<void>,
  ): Promise<Injection> {
    const injection = await fault.inject(target, config, signal);
    try {
      const verification = await fault.verify(injection);
      expect(verification.tookEffect, verification.evidence).toBe(true);
      await during(verification.evidence);
    } finally {
      await fault.heal(injection);
    }
    return injection;
  }

  it("creates a proxy per link, named shk-<id>-<from>-<to>, on a loopback port", async () => {
    expect(toxiproxy.links().map((l) => l.proxy)).toEqual([
      "shk-ttest1-client-web",
      "shk-ttest1-client-mute",
    ]);
    expect(link).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await get(link)).toBe("hello");
  });

  it("latency with jitter is observed on round trips through the proxy, and heal removes it", async () => {
    const fault = latencyFault({ stateDir });
    const injection = await whileInjected(
      fault,
      { latencyMillis: 150, jitterMillis: 20 },
      async (evidence) => {
        expect(evidence).toMatch(/observed, at least 104\.0 ms required/);
        expect(await get(link)).toBe("hello");
      },
    );
    expect(await fault.verify(injection)).toMatchObject({ tookEffect: false });
    await fault.heal(injection);
  });

  it("reset makes calls through the link fail with a connection reset, and heal lets them through", async () => {
    await whileInjected(resetFault({ stateDir }), {}, async () => {
      expect(await get(link)).toBe("ECONNRESET");
    });
    expect(await get(link)).toBe("hello");
  });

  it("blackhole swallows a call so that nothing comes back, and heal lets calls through again", async () => {
    await whileInjected(blackholeFault({ stateDir }), {}, async () => {
      expect(await get(link, 500)).toBe("timeout");
    });
    expect(await get(link)).toBe("hello");
  });

  it("bandwidth holds each chunk for size / rate, which a probe observes at a low rate", async () => {
    await whileInjected(bandwidthFault({ stateDir }), { rateKilobytesPerSecond: 1 }, async (evidence) => {
      expect(evidence).toMatch(/-byte chunk at 1 KB\/s downstream; at least/);
    });
  });

  it("a fault on a link whose node never answers is not verified, so it cannot count as taken effect", async () => {
    const fault = latencyFault({ stateDir });
    const injection = await fault.inject({ link: { to: "mute" } }, { latencyMillis: 100 }, signal);
    const verification = await fault.verify(injection);
    expect(verification.tookEffect).toBe(false);
    expect(verification.evidence).toMatch(/cannot measure: no answer even before the fault/);
    await fault.heal(injection);
  });

  it("a fault aimed at a link that does not exist fails to inject and adds nothing", async () => {
    const error = await latencyFault({ stateDir })
      .inject({ link: { from: "client", to: "nowhere" } }, { latencyMillis: 10 }, signal)
      .catch((e: unknown) => e);
    expect(isNetworkFaultError(error) && error.code).toBe("SHAKEDOWN_NETWORK_TARGET_INVALID");
    expect(String(error)).toMatch(/known: client->web, client->mute/);
    expect(await toxiproxy.client.toxics("shk-ttest1-client-web")).toEqual([]);
  });

  it("an unconfirmed heal removes only this fault's own toxics", async () => {
    const fault = latencyFault({ stateDir });
    await fault.inject(target, { latencyMillis: 10 }, signal);
    const other = {
      name: "not-ours",
      type: "latency",
      stream: "upstream",
      toxicity: 1,
      attributes: { latency: 1 },
    };
    await toxiproxy.client.addToxic("shk-ttest1-client-web", other as never);
    await fault.healUnconfirmed(target, {});
    expect((await toxiproxy.client.toxics("shk-ttest1-client-web"))?.map((t) => t.name)).toEqual([
      "not-ours",
    ]);
    await toxiproxy.client.removeToxic("shk-ttest1-client-web", "not-ours");
  });
});

describe("partition without a host network falls back to Toxiproxy", () => {
  it("blackholes the links across the partition, says so in the injection, and heal reopens them", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "shakedown-fallback-"));
    const servers = ["a", "b", "c"].map((name) => createServer((_q, r) => r.end(name)));
    const ports = await Promise.all(servers.map(listen));
    const toxiproxy = await ToxiproxyServer.start({ stateDir, id: "ftest1" });
    try {
      const listenOf: Record<string, string> = {};
      for (const [i, from] of ["a", "b", "c"].entries()) {
        for (const [j, to] of ["a", "b", "c"].entries()) {
          if (i === j) continue;
          const l = await toxiproxy.addLink(from, to, { host: "127.0.0.1", port: ports[j] as number });
          listenOf[`${from}->${to}`] = l.listen;
        }
      }
      const fault = partitionFault({ stateDir });
      const injection = await fault.inject({}, { kind: "isolate", node: "a" }, signal);
      expect(injection.method).toBe("toxiproxy");
      expect(injection.fallbackReason).toMatch(/network/);
      const verification = await fault.verify(injection);
      expect(verification.tookEffect, verification.evidence).toBe(true);
      expect(verification.evidence).toMatch(/^Toxiproxy fallback/);
      expect(await get(listenOf["a->b"] as string, 300)).toBe("timeout");
      expect(await get(listenOf["c->a"] as string, 300)).toBe("timeout");
      expect(await get(listenOf["b->c"] as string)).toBe("c");
      await fault.heal(injection);
      expect(await get(listenOf["a->b"] as string)).toBe("b");
      expect(await get(listenOf["c->a"] as string)).toBe("a");
    } finally {
      await toxiproxy.stop();
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
