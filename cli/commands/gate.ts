import { resolve } from "node:path";
import type { Command } from "commander";
import { isGateSetupError } from "../../chaos/gate/errors.js";
import { writeGateReports } from "../../chaos/gate/reports.js";
import {
  caseId,
  checkControls,
  DEFAULT_SUITES_DIR,
  findSuites,
  type GateCase,
  selectSuites,
} from "../../chaos/gate/suites.js";
import { judgeGate, summaryTable } from "../../chaos/gate/verdict.js";
import type { ExperimentReport } from "../../chaos/timeline/record.js";
import { UsageError } from "../usage-error.js";
import { addSessionFlags, exitIfStuck, loadExperiments, runFromCli, type SessionFlags } from "./session.js";

interface GateFlags extends SessionFlags {
  suite?: string;
  junit?: string;
  report?: string;
  experiments: string;
}

/** The suites and their cases, validated: each file loads, and each has a negative control. */
function plan(flags: GateFlags): { name: string; cases: GateCase[] }[] {
  try {
    const suites = selectSuites(findSuites(resolve(flags.experiments)), flags.suite);
    const experiments = loadExperiments(suites.flatMap((suite) => suite.files));
    const byFile = new Map(experiments.map((experiment) => [experiment.file, experiment]));
    const planned = suites.map((suite) => ({
      name: suite.name,
      cases: suite.files.map((file) => ({
        suite: suite.name,
        id: caseId(file),
        experiment: byFile.get(file) as GateCase["experiment"],
      })),
    }));
    checkControls(planned.flatMap((suite) => suite.cases));
    return planned;
  } catch (error) {
    if (isGateSetupError(error)) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * `shakedown gate`: runs every case of every suite (or of `--suite`) and its negative controls against fresh
 * topologies, prints one line per case and a summary table, writes JUnit and per-suite reports. Exit 0 only
 * when every case passed and every control failed as expected; 1 otherwise; 2 on bad usage.
 */
async function gate(flags: GateFlags): Promise<void> {
  const started = performance.now();
  const planned = plan(flags);
  const empty = planned.filter((suite) => suite.cases.length === 0).map((suite) => suite.name);
  if (empty.length > 0) console.log(`gate: no cases yet in ${empty.join(", ")}`);
  const suiteOf = new Map(planned.flatMap((s) => s.cases.map((c) => [c.experiment.file, c] as const)));
  const progress = (report: ExperimentReport) => {
    const gateCase = suiteOf.get(report.file);
    const line = `${report.status.toUpperCase().padEnd(7)} ${gateCase?.suite}/${gateCase?.id}: ${report.title}`;
    console.log(report.reason === null ? line : `${line}\n        ${report.reason}`);
  };
  const outcome = await runFromCli(
    "shakedown gate",
    planned.flatMap((suite) => suite.cases.map((c) => c.experiment)),
    flags,
    progress,
  );
  const result = judgeGate(planned, outcome.reports);
  const summary = summaryTable(result, performance.now() - started);
  console.log(`\n${summary}`);
  const written = writeGateReports(result, {
    ...(flags.junit === undefined ? {} : { junitPath: flags.junit }),
    ...(flags.report === undefined ? {} : { reportDir: flags.report }),
    evidence: outcome.evidence,
    summary,
    ...(outcome.collectorApiUrl === undefined ? {} : { collectorApiUrl: outcome.collectorApiUrl }),
  });
  for (const path of written) console.log(`wrote ${path}`);
  process.exitCode = result.passed ? 0 : 1;
  exitIfStuck(outcome);
}

export function registerGateCommand(program: Command): void {
  addSessionFlags(
    program
      .command("gate")
      .description(
        "run the resilience suites, each case with its negative controls; exit 0 only when every case passed and every control failed, 1 otherwise, 2 bad usage",
      )
      .option("--suite <name>", "run one suite (a folder of the experiments folder)")
      .option("--junit <file>", "write JUnit XML here: a test suite per gate suite")
      .option(
        "--report <dir>",
        "write per-suite reports under <dir>/<suite>/, plus junit.xml and summary.txt",
      )
      .option("--experiments <dir>", "the folder of suite folders", DEFAULT_SUITES_DIR),
  ).action(gate);
}
