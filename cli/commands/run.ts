import type { Command } from "commander";
import { writeReports } from "../../chaos/report/write.js";
import type { ExperimentReport } from "../../chaos/timeline/record.js";
import { addSessionFlags, exitIfStuck, loadExperiments, runFromCli, type SessionFlags } from "./session.js";

interface RunFlags extends SessionFlags {
  junit?: string;
  report?: string;
}

function printReport(report: ExperimentReport): void {
  const line = `${report.status.toUpperCase().padEnd(7)} ${report.title} (${report.file})`;
  console.log(report.reason === null ? line : `${line}\n        ${report.reason}`);
}

/**
 * `shakedown run`: heals what a crashed earlier run left, starts the topology, runs every experiment and
 * its negative controls, writes the reports, stops the topology. Exit 0 all passed, 1 any did not, 2 bad
 * usage or an invalid experiment file.
 */
async function run(paths: string[], flags: RunFlags): Promise<void> {
  const experiments = loadExperiments(paths);
  const outcome = await runFromCli("shakedown run", experiments, flags, printReport);
  const written = writeReports(outcome.reports, {
    ...(flags.junit === undefined ? {} : { junitPath: flags.junit }),
    ...(flags.report === undefined ? {} : { reportDir: flags.report }),
    evidence: outcome.evidence,
    ...(outcome.collectorApiUrl === undefined ? {} : { collectorApiUrl: outcome.collectorApiUrl }),
  });
  for (const path of written) console.log(`wrote ${path}`);
  const passed = outcome.reports.filter((report) => report.status === "passed").length;
  console.log(`${passed} of ${experiments.length} experiments passed`);
  process.exitCode = passed === experiments.length ? 0 : 1;
  exitIfStuck(outcome);
}

export function registerRunCommand(program: Command): void {
  addSessionFlags(
    program
      .command("run")
      .description(
        "run experiment files against a fresh topology; exit 0 all passed, 1 any failed, 2 bad usage",
      )
      .argument("<experiment...>", "experiment YAML files")
      .option("--junit <file>", "write JUnit XML here")
      .option("--report <dir>", "write journal.json, junit.xml and report.html here"),
  ).action(run);
}
