import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, describe, expect, it } from "vitest";
import type { FaultUnit } from "../../../chaos/experiment/fault-unit.js";
import { loadExperiment } from "../../../chaos/experiment/load.js";
import { InMemoryTelemetry, type RecordedSpan } from "../../../chaos/experiment/telemetry.js";
import { FileJournal, pendingInjections } from "../../../chaos/journal/write-ahead.js";
import { evidenceFromRequests } from "../../../chaos/report/evidence.js";
import { writeReports } from "../../../chaos/report/write.js";
import { SimulatedClock } from "../../../chaos/timeline/clock.js";
import { emptyHistory } from "../../../chaos/timeline/engine.js";
import { runExperiment } from "../../../chaos/timeline/runner.js";

const START = 1_700_000_000_000;
const root = join(import.meta.dirname, "../../..");
const folder = mkdtempSync(join(tmpdir(), "shakedown-sample-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const kill: FaultUnit = {
  name: "kill",
  description: "SIGKILL, faked",
  async inject(target) {
    return { target, pid: 4242 };
  },
  async verify() {
    return { tookEffect: true, evidence: "pid 4242 is gone" };
  },
  async heal() {},
};

/** kill-catalog.yaml's load lasts this long, and so does each of its runs on the simulated clock. */
const RUN_MILLIS = 12_000;

/**
 * 50 requests a second at the gateway. With retries on, the kill costs a few errors in its first second;
 * with them off (the control run, which starts when the first run's 12 s end) every tenth request fails while the replica is down.
 */
function gatewaySpans(): RecordedSpan[] {
  const spans: RecordedSpan[] = [];
  for (let t = 0; t < 2 * RUN_MILLIS; t += 20) {
    const run = t < RUN_MILLIS ? "positive" : "control";
    const sinceKill = (t % RUN_MILLIS) - 3000;
    const down = sinceKill >= 0 && sinceKill < 8000;
    const error = run === "positive" ? down && sinceKill < 1000 && t % 400 === 0 : down && t % 200 === 0;
    spans.push({ service: "gateway", startMillis: START + t, durationMillis: down ? 40 : 12, error });
  }
  return spans;
}

describe("the sample experiment", () => {
  it("runs end to end on the simulated clock and produces the three reports", async () => {
    const experiment = loadExperiment(join(root, "fixtures/experiments/failover/kill-catalog.yaml"), {
      faults: { kill },
    });
    const clock = new SimulatedClock(START);
    const journalPath = join(folder, "journal.jsonl");
    const journal = new FileJournal(journalPath);
    const switches: string[] = [];
    const report = await runExperiment(experiment, {
      clock,
      faults: { kill },
      journal,
      telemetry: new InMemoryTelemetry(gatewaySpans()),
      http: { request: async () => ({ status: 200 }) },
      load: {
        start: async (load, signal) => ({
          done: clock.sleep(load.durationMillis, signal),
          stop: async () => {},
        }),
      },
      history: emptyHistory,
      switches: { set: async (name, enabled) => void switches.push(`${name}=${enabled}`) },
    });
    journal.close();

    expect(report.run.assertions.map((a) => [a.name, a.valid])).toEqual([
      ["steady before the fault", true],
      ["at most 1% errors while a replica is down", true],
      ["no errors once the lease has expired", true],
      ["p99 back to baseline within 5 s of the kill", true],
    ]);
    expect(report.run.status).toBe("passed");
    expect(report.controls[0]).toMatchObject({ verdict: "failed-as-expected", run: { status: "failed" } });
    expect(report.status).toBe("passed");
    expect(switches).toEqual([
      "rpc.retries=false",
      "rpc.outlier_ejection=false",
      "rpc.outlier_ejection=true",
      "rpc.retries=true",
    ]);
    expect(pendingInjections(journalPath)).toEqual([]);

    const requests = gatewaySpans()
      .filter((span) => span.startMillis < START + RUN_MILLIS)
      .map((span, index) => ({
        timeMillis: span.startMillis,
        status: span.error ? 503 : 200,
        latencyMillis: span.durationMillis,
        ...(span.error ? { traceId: `trace-${index}` } : {}),
      }));
    const written = writeReports([report], {
      junitPath: join(folder, "junit.xml"),
      reportDir: join(folder, "report"),
      evidence: { [report.run.runId]: evidenceFromRequests(requests) },
    });
    expect(written).toHaveLength(4);
    const junit = readFileSync(join(folder, "junit.xml"), "utf8");
    expect(XMLValidator.validate(junit)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(junit);
    expect(parsed.testsuites).toMatchObject({ tests: "6", failures: "0", errors: "0" });
    const html = readFileSync(join(folder, "report/report.html"), "utf8");
    expect(html).toContain('class="fault-window"');
    expect(html).toContain('href="http://127.0.0.1:18888/api/traces/trace-');
    expect(JSON.parse(readFileSync(join(folder, "report/journal.json"), "utf8")).status).toBe("passed");
  });
});
