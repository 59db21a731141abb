import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this file that holds package.json. */
export const projectRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the Shakedown project root (no package.json above)");
    dir = parent;
  }
  return dir;
})();

/**
 * The compiled form of a source module. Worker threads and child processes always run compiled JavaScript,
 * also when the caller itself runs from TypeScript sources under the test runner.
 */
export function compiledFile(relativePath: string): string {
  return join(projectRoot, "dist", relativePath.replace(/\.ts$/, ".js"));
}
