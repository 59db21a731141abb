import { Command, CommanderError } from "commander";
import { registerCollectorCommand } from "./commands/collector.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerGateCommand } from "./commands/gate.js";
import { registerRecoverCommand } from "./commands/recover.js";
import { registerRunCommand } from "./commands/run.js";
import { registerUpCommand } from "./commands/up.js";
import { isUsageError } from "./usage-error.js";

/** Exit codes: 0 success, 1 a failed run, 2 bad usage or configuration. */
const USAGE_EXIT = 2;

// A reader that went away (a closed pipe) must not kill a run halfway: healing and stopping still have to happen.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});

const program = new Command("shakedown")
  .description("Prove that a microservice system survives failure.")
  .exitOverride()
  .showHelpAfterError();
registerCollectorCommand(program);
registerDemoCommand(program);
registerGateCommand(program);
registerRunCommand(program);
registerRecoverCommand(program);
registerUpCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT);
  }
  if (isUsageError(error)) {
    console.error(`shakedown: ${error.message}`);
    process.exit(USAGE_EXIT);
  }
  console.error(`shakedown: ${(error as Error).message}`);
  process.exit(1);
}
