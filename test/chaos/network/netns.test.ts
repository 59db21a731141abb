import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mustRun } from "../../../chaos/netns/command.js";
import { isNetnsError } from "../../../chaos/netns/errors.js";
import {
  HostNetwork,
  listNamespaces,
  netnsExec,
  netnsUnavailableReason,
} from "../../../chaos/netns/network.js";
import { listOwned, recoverNetworks } from "../../../chaos/netns/recover.js";
import { readNetworkRecords } from "../../../chaos/netns/state.js";
import { Supervisor } from "../../../chaos/supervisor/supervisor.js";
import { httpServerNode, leftovers, NODE_PORT } from "./hosts.js";

const unavailable = await netnsUnavailableReason();

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(unavailable !== null)("host networks", () => {
  const dirs: string[] = [];
  const stateDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "shakedown-hosts-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const dir of dirs.splice(0)) {
      await recoverNetworks(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("creates a namespace per node and a switch, adds one interface to the root namespace, and removes them all", async () => {
    const dir = stateDir();
    const network = await HostNetwork.create([{ node: "a" }, { node: "b" }], { stateDir: dir, id: "ntest1" });
    expect(network.record).toMatchObject({
      switchNamespace: "shk-ntest1",
      bridge: "shk-br-ntest1",
      hostInterface: "shk-h-ntest1",
      hosts: [
        { node: "a", namespace: "shk-ntest1-a" },
        { node: "b", namespace: "shk-ntest1-b" },
      ],
    });
    expect(network.hostAddress).toMatch(/^127\.203\.\d+\.254$/);
    expect((await leftovers(["ntest1"])).sort()).toEqual([
      "link shk-h-ntest1",
      "netns shk-ntest1",
      "netns shk-ntest1-a",
      "netns shk-ntest1-b",
    ]);
    expect(await mustRun("ip", ["-n", "shk-ntest1", "-o", "link", "show", "type", "bridge"])).toMatch(
      /shk-br-ntest1/,
    );
    expect(await listOwned("shk-", dir)).toEqual({
      namespaces: ["shk-ntest1-a", "shk-ntest1-b", "shk-ntest1"],
      interfaces: ["shk-h-ntest1"],
    });

    expect(await network.teardown()).toHaveLength(4);
    expect(await leftovers(["ntest1"])).toEqual([]);
    expect(readNetworkRecords(dir)).toEqual([]);
    expect(await network.teardown()).toEqual([]);
  });

  it("runs a supervised node inside its host under its own PID, listening on the host's own address", async () => {
    const dir = stateDir();
    const network = await HostNetwork.create([{ node: "web" }], { stateDir: dir, id: "ntest2" });
    const supervisor = new Supervisor();
    try {
      await supervisor.start([httpServerNode(network, "web")]);
      const { pid } = supervisor.status("web");
      expect((await mustRun("ip", ["netns", "identify", String(pid)])).trim()).toBe("shk-ntest2-web");
      const response = await fetch(`http://${network.host("web").address}:${NODE_PORT}/`);
      expect(await response.text()).toBe("web");
      await supervisor.stop("web");
      expect(alive(pid)).toBe(false);
    } finally {
      await supervisor.stopAll();
      await network.teardown();
    }
  });

  it("lists and recovers only namespaces a state file records, never another shk- name", async () => {
    const dir = stateDir();
    await mustRun("ip", ["netns", "add", "shk-ntest3x-foreign"]);
    try {
      await HostNetwork.create([{ node: "a" }], { stateDir: dir, id: "ntest3" });
      const owned = await listOwned("shk-", dir);
      expect(owned.namespaces).toEqual(["shk-ntest3-a", "shk-ntest3"]);
      const report = await recoverNetworks(dir);
      expect(report.recovered).toEqual(["ntest3"]);
      expect(await listNamespaces()).toContain("shk-ntest3x-foreign");
      expect(await leftovers(["ntest3"])).toEqual(["netns shk-ntest3x-foreign"]);
    } finally {
      await mustRun("ip", ["netns", "delete", "shk-ntest3x-foreign"]);
    }
  });

  it("recovers a network its engine dropped mid-run, killing what still runs inside by PID", async () => {
    const dir = stateDir();
    const network = await HostNetwork.create([{ node: "a" }, { node: "b" }], { stateDir: dir, id: "ntest4" });
    const { command, args } = netnsExec(network.host("a").namespace, "sleep", ["600"]);
    const orphan = spawn(command, args, { stdio: "ignore" });
    const pid = orphan.pid as number;
    const exited = new Promise((resolve) => orphan.once("exit", resolve));
    // Bounded: 100 polls of 10 ms until `ip netns exec` has entered the namespace and exec'd sleep.
    for (
      let i = 0;
      i < 100 && !(await mustRun("ip", ["netns", "pids", "shk-ntest4-a"])).includes(String(pid));
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const report = await recoverNetworks(dir);
    expect(report.removed).toEqual(["shk-h-ntest4", "shk-ntest4-a", "shk-ntest4-b", "shk-ntest4"]);
    await exited;
    expect(alive(pid)).toBe(false);
    expect(await leftovers(["ntest4"])).toEqual([]);
    expect(existsSync(join(dir, "netns", "ntest4.json"))).toBe(false);
  });

  it("refuses node names that cannot become namespace names, and duplicate ids, before creating anything", async () => {
    const dir = stateDir();
    const bad = await HostNetwork.create([{ node: "../x" }], { stateDir: dir }).catch((e: unknown) => e);
    expect(isNetnsError(bad) && bad.code).toBe("SHAKEDOWN_NETNS_INVALID");
    await HostNetwork.create([{ node: "a" }], { stateDir: dir, id: "ntest5" });
    const again = await HostNetwork.create([{ node: "a" }], { stateDir: dir, id: "ntest5" }).catch((e) => e);
    expect(String(again)).toMatch(/already recorded/);
    await recoverNetworks(dir);
    expect(await leftovers(["ntest5"])).toEqual([]);
  });
});

describe.skipIf(unavailable === null)("host networks where namespaces are unavailable", () => {
  it("refuse to start and say why", async () => {
    const error = await HostNetwork.create([{ node: "a" }], { stateDir: tmpdir() }).catch((e: unknown) => e);
    expect(isNetnsError(error) && error.code).toBe("SHAKEDOWN_NETNS_UNAVAILABLE");
  });
});
