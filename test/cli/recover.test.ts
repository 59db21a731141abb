import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processState } from "../../chaos/faults/process.js";
import { PidRegistry, stillRunning } from "../../chaos/supervisor/pid-registry.js";
import { projectRoot } from "../../collector/paths.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-recover-cli-"));
const bin = join(projectRoot, "bin", "shakedown.js");
const topology = join(projectRoot, "dist", "test", "chaos", "faults", "fixtures", "topology.js");
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

const recover = (cwd: string) =>
  spawnSync(process.execPath, [bin, "recover"], { cwd, encoding: "utf8", timeout: 60_000 });

/** Every process the crashed engine recorded, resumed and killed, should a test fail half-way. */
function cleanUp(registry: PidRegistry): void {
  for (const owned of registry.live().filter(stillRunning)) {
    process.kill(owned.pid, "SIGCONT");
    process.kill(owned.pid, "SIGKILL");
  }
}

describe("shakedown recover", () => {
  const registry = new PidRegistry(join(folder, ".data", "run", "pids.jsonl"));
  afterAll(() => {
    cleanUp(registry);
    rmSync(folder, { recursive: true, force: true });
  });

  it("after the engine is SIGKILLed mid-pause, leaves no paused process and no orphan behind", async () => {
    const experiment = join(folder, "pause.yaml");
    writeFileSync(
      experiment,
      "title: a long pause\nmethod:\n  - { at: 0s, fault: pause, target: { role: web }, duration: 5m }\n",
    );
    const engine = spawn(process.execPath, [bin, "run", experiment, "--topology", topology], {
      cwd: folder,
      stdio: "ignore",
    });
    const journal = join(folder, ".data", "run", "journal.jsonl");
    const injected = () => existsSync(journal) && readFileSync(journal, "utf8").includes('"type":"injected"');
    for (let i = 0; i < 600 && !injected() && engine.exitCode === null; i++) await sleep(50);
    expect(injected()).toBe(true);
    engine.kill("SIGKILL");
    await new Promise((resolve) => engine.once("exit", resolve));

    const orphans = registry.live().filter(stillRunning);
    expect(orphans.map((owned) => owned.name).sort()).toEqual(["app-1", "web-1", "web-2"]);
    const paused = orphans.filter((owned) => processState(owned.pid) === "T");
    expect(paused.map((owned) => owned.name).sort()).toEqual(["web-1", "web-2"]);

    const result = recover(folder);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^healed pause \(run [0-9a-f-]+, action pause\)$/m);
    // The run the engine had stored as running in the collector's database is marked aborted.
    expect(result.stdout).toMatch(
      /^marked run [0-9a-f-]+ in .*\.data\/shakedown\.db aborted: its engine is gone$/m,
    );
    for (const owned of orphans)
      expect(result.stdout).toContain(`stopped orphan ${owned.name} (pid ${owned.pid})`);
    for (const owned of orphans) {
      expect(stillRunning(owned)).toBe(false);
      expect(existsSync(`/proc/${owned.pid}`) && processState(owned.pid) !== "Z").toBe(false);
    }
    expect(registry.live()).toEqual([]);

    const again = recover(folder);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/nothing to recover/);
  });

  it("refuses to touch the run state while another engine holds it", async () => {
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const ticks = readFileSync(`/proc/${holder.pid}/stat`, "utf8").split(") ")[1]?.split(" ")[19];
      const lock = join(folder, ".data", "run", "engine.lock");
      writeFileSync(lock, JSON.stringify({ name: "engine", pid: holder.pid, startTicks: ticks }));
      const result = recover(folder);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`another shakedown engine \\(pid ${holder.pid}\\) is using`));
      holder.kill("SIGKILL");
      await new Promise((resolve) => holder.once("exit", resolve));
      expect(recover(folder).status).toBe(0);
    } finally {
      holder.kill("SIGKILL");
    }
  });
});
