import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { FaultUnit, HealsUnconfirmed, Injection, Target } from "../../../chaos/experiment/fault-unit.js";
import { healPending } from "../../../chaos/journal/recover.js";
import { RUN_STATUSES, worstStatus } from "../../../chaos/journal/status.js";
import { FileJournal, pendingInjections, readJournal } from "../../../chaos/journal/write-ahead.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-wal-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;
const newPath = () => join(folder, `nested/${++files}/journal.jsonl`);

function crashedRun(path: string): void {
  const journal = new FileJournal(path);
  journal.append({ type: "run-started", runId: "r1", title: "t", file: "f.yaml", timeMillis: 1 });
  journal.append({
    type: "intent",
    runId: "r1",
    actionId: "kill",
    fault: "kill",
    target: { node: "catalog-1" },
    config: {},
    timeMillis: 2,
  });
  journal.append({ type: "injected", runId: "r1", actionId: "kill", injection: { pid: 41 }, timeMillis: 3 });
  journal.append({ type: "healed", runId: "r1", actionId: "kill", timeMillis: 4 });
  journal.append({
    type: "intent",
    runId: "r1",
    actionId: "pause",
    fault: "pause",
    target: { node: "orders-1" },
    config: {},
    timeMillis: 5,
  });
  journal.append({ type: "injected", runId: "r1", actionId: "pause", injection: { pid: 42 }, timeMillis: 6 });
  journal.append({
    type: "intent",
    runId: "r1",
    actionId: "cut",
    fault: "partition",
    target: { node: "ledger-1" },
    config: {},
    timeMillis: 7,
  });
  journal.close();
}

class Recording implements FaultUnit, HealsUnconfirmed {
  readonly description = "test";
  readonly healed: string[] = [];
  constructor(
    readonly name: string,
    private readonly failures = 0,
  ) {}
  private attempts = 0;
  async inject(): Promise<Injection> {
    return {};
  }
  async verify() {
    return { tookEffect: true, evidence: "" };
  }
  async heal(injection: Injection) {
    if (this.attempts++ < this.failures) throw new Error("still paused");
    this.healed.push(`heal ${JSON.stringify(injection)}`);
  }
  async healUnconfirmed(target: Target) {
    this.healed.push(`healUnconfirmed ${JSON.stringify(target)}`);
  }
}

describe("the write-ahead journal", () => {
  it("lists the faults a crashed run left behind, with the injection when it was journaled", () => {
    const path = newPath();
    crashedRun(path);
    expect(pendingInjections(path)).toEqual([
      {
        runId: "r1",
        actionId: "pause",
        fault: "pause",
        target: { node: "orders-1" },
        config: {},
        injection: { pid: 42 },
        intendedAtMillis: 5,
      },
      {
        runId: "r1",
        actionId: "cut",
        fault: "partition",
        target: { node: "ledger-1" },
        config: {},
        injection: null,
        intendedAtMillis: 7,
      },
    ]);
  });

  it("skips a torn last line but rejects a bad line in the middle", () => {
    const path = newPath();
    crashedRun(path);
    appendFileSync(path, '{"v":1,"type":"hea');
    expect(readJournal(path)).toHaveLength(7);
    writeFileSync(path, `garbage\n${readFileSync(path, "utf8")}`);
    expect(() => readJournal(path)).toThrow(/journal\.jsonl:1: not JSON/);
  });

  it("has nothing pending when the file does not exist", () => {
    expect(pendingInjections(join(folder, "none.jsonl"))).toEqual([]);
  });

  it("heals pending faults newest first on recover, journals it, and a second recover does nothing", async () => {
    const path = newPath();
    crashedRun(path);
    const pause = new Recording("pause");
    const partition = new Recording("partition");
    const report = await healPending(path, { pause, partition }, () => 99);
    expect(report.failed).toEqual([]);
    expect(report.healed.map((entry) => entry.actionId)).toEqual(["cut", "pause"]);
    expect(partition.healed).toEqual(['healUnconfirmed {"node":"ledger-1"}']);
    expect(pause.healed).toEqual(['heal {"pid":42}']);
    expect(pendingInjections(path)).toEqual([]);
    expect((await healPending(path, { pause, partition })).healed).toEqual([]);
  });

  it("keeps a fault pending when its heal fails or its unit is unknown, to try again later", async () => {
    const path = newPath();
    crashedRun(path);
    const report = await healPending(path, { pause: new Recording("pause", 1) });
    expect(report.failed.map((f) => [f.pending.actionId, f.error])).toEqual([
      ["cut", 'no fault unit named "partition" (known: pause)'],
      ["pause", "still paused"],
    ]);
    expect(pendingInjections(path).map((entry) => entry.actionId)).toEqual(["pause", "cut"]);
  });

  it("combines run statuses from the fixed set, worst first", () => {
    expect(RUN_STATUSES).toEqual(["passed", "failed", "error", "aborted"]);
    expect(worstStatus()).toBe("passed");
    expect(worstStatus("passed", "failed")).toBe("failed");
    expect(worstStatus("failed", "error", "passed")).toBe("error");
    expect(worstStatus("error", "aborted")).toBe("aborted");
  });
});
