import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { networkFaultUnits } from "../../../chaos/faults/network/index.js";
import { listTables } from "../../../chaos/faults/network/nftables.js";
import {
  readToxiproxyRecords,
  recoverToxiproxy,
  ToxiproxyClient,
} from "../../../chaos/faults/network/toxiproxy.js";
import { healPending } from "../../../chaos/journal/recover.js";
import { pendingInjections } from "../../../chaos/journal/write-ahead.js";
import { HostNetwork, netnsUnavailableReason } from "../../../chaos/netns/network.js";
import { probeTcpFrom } from "../../../chaos/netns/probe.js";
import { listOwned, recoverNetworks } from "../../../chaos/netns/recover.js";
import { readNetworkRecords } from "../../../chaos/netns/state.js";
import { PidRegistry, stillRunning } from "../../../chaos/supervisor/pid-registry.js";
import { compiledFile } from "../../../collector/paths.js";
import { leftovers, NODE_PORT } from "./hosts.js";

const unavailable = await netnsUnavailableReason();
const ID = "crash1";

describe.skipIf(unavailable !== null)("recover after the engine is SIGKILLed mid-partition", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "shakedown-crash-"));
  const journalPath = join(stateDir, "journal.jsonl");
  afterAll(async () => {
    // Whatever the test left (it should leave nothing), by the same exact-name recovery.
    await recoverNetworks(stateDir);
    await recoverToxiproxy(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("heals the journaled faults, then removes the namespaces, processes and Toxiproxy it left behind", async () => {
    const engine = spawn(
      process.execPath,
      [compiledFile("test/chaos/network/crashing-engine.ts"), stateDir, journalPath, ID],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => engine.once("exit", resolve));
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      createInterface({ input: engine.stdout }).on("line", (line) => {
        if (line === "ready") {
          clearTimeout(timer);
          resolve(true);
        }
      });
      engine.once("exit", () => resolve(false));
    });
    expect(ready).toBe(true);
    engine.kill("SIGKILL");
    await exited;

    // What the dead engine left: two partition tables, a toxic, three nodes and Toxiproxy, all still running.
    const network = HostNetwork.open(stateDir, ID);
    const n1 = network.host("n1");
    // Isolating n1 needs a table in n1 only; the one-way cut from n2 one in n2.
    expect(await listTables(n1.namespace)).toHaveLength(1);
    expect(await listTables(network.host("n2").namespace)).toHaveLength(1);
    const [toxiproxy] = readToxiproxyRecords(stateDir);
    const proxy = toxiproxy?.links[0]?.proxy as string;
    expect(await new ToxiproxyClient(toxiproxy?.apiUrl as string).toxics(proxy)).toHaveLength(1);
    const owned = new PidRegistry(join(stateDir, "pids.jsonl")).live();
    expect(owned.filter(stillRunning)).toHaveLength(4);
    expect(pendingInjections(journalPath).map((p) => [p.actionId, p.injection === null])).toEqual([
      ["cut", false],
      ["slow", false],
      ["one-way", true],
    ]);

    // `shakedown recover`: heal from the journal, then remove the networks and servers the state files name.
    const units = Object.fromEntries(networkFaultUnits({ stateDir }).map((unit) => [unit.name, unit]));
    const healed = await healPending(journalPath, units);
    expect(healed.failed).toEqual([]);
    expect(healed.healed.map((p) => p.actionId)).toEqual(["one-way", "slow", "cut"]);
    expect(pendingInjections(journalPath)).toEqual([]);
    const [probe] = await probeTcpFrom(n1.namespace, [
      { host: network.host("n2").address, port: NODE_PORT, timeoutMillis: 2_000 },
    ]);
    expect(probe?.outcome).toBe("connected");
    expect(await new ToxiproxyClient(toxiproxy?.apiUrl as string).toxics(proxy)).toEqual([]);

    const networks = await recoverNetworks(stateDir);
    expect(networks.recovered).toEqual([ID]);
    expect(await recoverToxiproxy(stateDir)).toEqual([toxiproxy?.pid]);

    expect(await leftovers([ID])).toEqual([]);
    expect(await listOwned("shk-", stateDir)).toEqual({ namespaces: [], interfaces: [] });
    expect(owned.filter(stillRunning)).toEqual([]);
    expect(readNetworkRecords(stateDir)).toEqual([]);
    expect(readToxiproxyRecords(stateDir)).toEqual([]);
    expect(existsSync(join(stateDir, "netns", `${ID}.json`))).toBe(false);
    // A second recover finds nothing to do.
    expect(await healPending(journalPath, units)).toEqual({ healed: [], failed: [] });
    expect((await recoverNetworks(stateDir)).removed).toEqual([]);
  });
});
