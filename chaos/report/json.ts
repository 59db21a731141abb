import { worstStatus } from "../journal/status.js";
import type { ExperimentReport } from "../timeline/record.js";

/** The JSON journal of a `shakedown run`: every experiment's runs, statuses, measurements and fault windows. */
export function reportJson(reports: readonly ExperimentReport[]): string {
  const document = {
    shakedownReport: 1,
    status: worstStatus(...reports.map((report) => report.status)),
    startedAtMillis: Math.min(...reports.map((report) => report.startedAtMillis)),
    endedAtMillis: Math.max(...reports.map((report) => report.endedAtMillis)),
    experiments: reports,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
