import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RunEvidence } from "../report/evidence.js";
import { gateJunitXml } from "../report/junit.js";
import { writeReports } from "../report/write.js";
import type { GateResult } from "./verdict.js";

export interface GateReportFiles {
  /** `--junit FILE`: every suite's cases and negative controls in one file. */
  readonly junitPath?: string;
  /** `--report DIR`: `<suite>/` with journal.json, junit.xml and report.html per suite, plus the gate's own. */
  readonly reportDir?: string;
  readonly evidence: Readonly<Record<string, RunEvidence>>;
  readonly collectorApiUrl?: string;
  /** The summary table, written as `summary.txt` beside the suites' folders. */
  readonly summary: string;
}

/** Writes what the gate was asked for; returns the paths written. */
export function writeGateReports(result: GateResult, files: GateReportFiles): string[] {
  const written: string[] = [];
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(path);
  };
  const junit = gateJunitXml(result.suites);
  if (files.junitPath !== undefined) write(files.junitPath, junit);
  if (files.reportDir !== undefined) {
    write(join(files.reportDir, "junit.xml"), junit);
    write(join(files.reportDir, "summary.txt"), `${files.summary}\n`);
    for (const suite of result.suites) {
      if (suite.cases.length === 0) continue;
      written.push(
        ...writeReports(
          suite.cases.map((c) => c.report),
          {
            reportDir: join(files.reportDir, suite.name),
            evidence: files.evidence,
            ...(files.collectorApiUrl === undefined ? {} : { collectorApiUrl: files.collectorApiUrl }),
          },
        ),
      );
    }
  }
  return written;
}
