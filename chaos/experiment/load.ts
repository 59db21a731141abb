import { readFileSync } from "node:fs";
import { ExperimentError } from "./errors.js";
import type { Experiment } from "./types.js";
import { parseExperiment, type Registries } from "./validate.js";

/**
 * Reads and validates an experiment file. The CLI passes the fault registry (`chaos/faults/`); checker and
 * assertion-kind registries default to the built-in ones. Throws ExperimentError (exit code 2 in the CLI).
 */
export function loadExperiment(path: string, registries: Registries): Experiment {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ExperimentError([
      { file: path, line: 0, column: 0, field: "", message: `cannot be read (${reason})` },
    ]);
  }
  return parseExperiment(text, path, registries);
}
