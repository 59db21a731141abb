import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ExperimentReport } from "../timeline/record.js";
import type { RunEvidence } from "./evidence.js";
import { htmlReport } from "./html.js";
import { reportJson } from "./json.js";
import { junitXml } from "./junit.js";

export interface ReportFiles {
  /** `--junit FILE`. */
  readonly junitPath?: string;
  /** `--report DIR`: journal.json, junit.xml and report.html. */
  readonly reportDir?: string;
  readonly evidence?: Readonly<Record<string, RunEvidence>>;
  readonly collectorApiUrl?: string;
}

/** Writes the reports a `shakedown run` was asked for; returns the paths written. */
export function writeReports(reports: readonly ExperimentReport[], files: ReportFiles): string[] {
  const written: string[] = [];
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(path);
  };
  const junit = junitXml(reports);
  if (files.junitPath !== undefined) write(files.junitPath, junit);
  if (files.reportDir !== undefined) {
    write(join(files.reportDir, "journal.json"), reportJson(reports));
    write(join(files.reportDir, "junit.xml"), junit);
    const input = {
      reports,
      ...(files.evidence === undefined ? {} : { evidence: files.evidence }),
      ...(files.collectorApiUrl === undefined ? {} : { collectorApiUrl: files.collectorApiUrl }),
    };
    write(join(files.reportDir, "report.html"), htmlReport(input));
  }
  return written;
}
