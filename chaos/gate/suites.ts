import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { projectRoot } from "../../collector/paths.js";
import type { Experiment } from "../experiment/types.js";
import { GateSetupError } from "./errors.js";

/** The five defense suites the gate enforces, in the order it reports them. */
export const GATE_SUITES = ["limiting", "breaking", "failover", "exactly-once", "cache"] as const;

/** Where the suites live: one folder per suite, one experiment file per case. */
export const DEFAULT_SUITES_DIR = join(projectRoot, "fixtures", "experiments");

/** One suite as found on disk: its case files, sorted by name. */
export interface SuiteFiles {
  readonly name: string;
  readonly dir: string;
  readonly files: readonly string[];
}

/** A case: one experiment file of a suite, with its id (the file name without `.yaml`). */
export interface GateCase {
  readonly suite: string;
  readonly id: string;
  readonly experiment: Experiment;
}

const CASE_FILE = /\.ya?ml$/;

/** The case id of an experiment file: `kill-catalog` for `failover/kill-catalog.yaml`. */
export function caseId(file: string): string {
  return basename(file, extname(file));
}

/**
 * The suites under `dir`: the five gate suites (empty when their folder is missing) and any other folder
 * that holds case files, each with the `*.yaml` files directly inside it. A case file outside any suite
 * folder is a setup error: the gate would not know which suite it belongs to.
 */
export function findSuites(dir: string): SuiteFiles[] {
  if (!existsSync(dir)) throw new GateSetupError(`no experiments folder at ${dir}`);
  const entries = readdirSync(dir).sort();
  const loose = entries.filter((entry) => CASE_FILE.test(entry));
  if (loose.length > 0) {
    throw new GateSetupError(
      `case files must sit in a suite folder (${GATE_SUITES.join(", ")}): ${loose.map((f) => join(dir, f)).join(", ")}`,
    );
  }
  const folders = entries.filter((entry) => statSync(join(dir, entry)).isDirectory());
  const names = [...GATE_SUITES, ...folders.filter((f) => !(GATE_SUITES as readonly string[]).includes(f))];
  return names.flatMap((name) => {
    const suiteDir = join(dir, name);
    const files = existsSync(suiteDir)
      ? readdirSync(suiteDir)
          .filter((file) => CASE_FILE.test(file))
          .sort()
          .map((file) => join(suiteDir, file))
      : [];
    const extra = !(GATE_SUITES as readonly string[]).includes(name);
    return extra && files.length === 0 ? [] : [{ name, dir: suiteDir, files }];
  });
}

/** The suites to run: all of them, or the one `--suite` names (a name that is none of them is bad usage). */
export function selectSuites(suites: readonly SuiteFiles[], only: string | undefined): SuiteFiles[] {
  if (only === undefined) return [...suites];
  const found = suites.find((suite) => suite.name === only);
  if (found === undefined) {
    throw new GateSetupError(`no suite named "${only}" (suites: ${suites.map((s) => s.name).join(", ")})`);
  }
  if (found.files.length === 0) throw new GateSetupError(`suite ${only} has no cases yet (${found.dir})`);
  return [found];
}

/** A case proves a defense only next to its negative control: a file without one cannot be a gate case. */
export function checkControls(cases: readonly GateCase[]): void {
  const without = cases.filter((c) => c.experiment.controls.length === 0).map((c) => c.experiment.file);
  if (without.length > 0) {
    throw new GateSetupError(
      `every gate case needs a negative control (controls: with a defense switch off); none in: ${without.join(", ")}`,
    );
  }
}
