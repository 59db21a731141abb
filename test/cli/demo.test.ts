import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../collector/paths.js";
import { getRun, listRuns } from "../../collector/query/runs.js";
import { openDatabase } from "../../collector/store/schema.js";

const run = promisify(execFile);

describe("shakedown demo", () => {
  it("brings the shop up over an earlier run's files, runs a shopping session and the sample experiment, and stops cleanly with --once", {
    timeout: 320_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "shakedown-demo-"));
    // What an earlier `shakedown gate` in the same run folder leaves: Kafka's folder formatted for another
    // cluster, which Kafka refuses to format again.
    const staleKafka = join(dir, "run", "nodes", "kafka", "node-1", "data");
    mkdirSync(staleKafka, { recursive: true });
    writeFileSync(
      join(staleKafka, "meta.properties"),
      "node.id=1\ndirectory.id=mJtWyqlNfWouhFYtlJOcvQ\nversion=1\ncluster.id=3MGy5p4sTiOVG5uERvjdYg\n",
    );
    const { stdout } = await run(
      process.execPath,
      [
        join(projectRoot, "bin", "shakedown.js"),
        "demo",
        "--once",
        "--orders",
        "4",
        "--db",
        join(dir, "demo.db"),
        "--run-dir",
        join(dir, "run"),
        "--otlp-http-port",
        "0",
        "--otlp-grpc-port",
        "0",
        "--api-port",
        "0",
        "--gateway-port",
        "0",
      ],
      { timeout: 300_000 },
    );
    expect(stdout).toMatch(/shakedown up: profile default, 13 nodes healthy/);
    expect(stdout).toMatch(/started in \d+\.\d s; resident memory of all processes \d+ MiB/);
    expect(stdout).toMatch(/4 orders acknowledged, the retried order answered with the same order id/);
    expect(stdout).not.toMatch(/unexpected answers/);
    expect(stdout).toMatch(/the ledger consumed 4 order events from Kafka/);
    expect(stdout).toMatch(
      /an order's trace, gateway to ledger: http:\/\/127\.0\.0\.1:\d+\/#\/trace\/[0-9a-f]{32}/,
    );
    expect(stdout).toMatch(/demo: experiment passed/);
    expect(existsSync(join(dir, "run", "report", "report.html"))).toBe(true);

    // The sample's run and its negative control's run are in the collector's database, as one group.
    const db = openDatabase(join(dir, "demo.db"), { readonly: true });
    try {
      const [control, run] = listRuns(db, { limit: 10 }).runs;
      expect(run).toMatchObject({
        title: "Kill a catalog replica under load",
        control: null,
        status: "passed",
      });
      expect(control).toMatchObject({ groupId: run?.runId, verdict: "failed-as-expected" });
      const detail = getRun(db, run?.runId as string).run;
      expect(detail.faults).toEqual([
        expect.objectContaining({
          id: "kill-catalog",
          fault: "kill",
          error: null,
          verification: expect.any(String),
        }),
      ]);
      expect(detail.faults[0]?.healedAtMs).not.toBeNull();
      expect(detail.series.map((series) => series.name)).toEqual(["ok", "failed", "p99 latency"]);
    } finally {
      db.close();
    }
  });
});
