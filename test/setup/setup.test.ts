import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const steps = ["apt", "kafka", "go", "npm"];

/** Runs the setup script again; `npm test` has already run it once, so everything should be cached. */
function runSetup(): { status: number | null; lines: string[] } {
  const result = spawnSync("bash", ["scripts/setup.sh"], {
    cwd: root,
    encoding: "utf8",
    timeout: 600_000,
  });
  return { status: result.status, lines: `${result.stdout}${result.stderr}`.split("\n") };
}

/** Reads one `export NAME="value"` line from .tools/env.sh. */
function envValue(envFile: string, name: string): string | undefined {
  const match = readFileSync(envFile, "utf8").match(new RegExp(`^export ${name}="([^"]*)"$`, "m"));
  return match?.[1];
}

describe("scripts/setup.sh", () => {
  it("a second run exits 0 and reports every step cached with nothing installed", {
    timeout: 600_000,
  }, () => {
    const { status, lines } = runSetup();
    const output = lines.join("\n");
    expect(status, output).toBe(0);
    for (const step of steps) {
      const line = lines.find((l) => l.startsWith(`setup: ${step}`));
      expect(line, `no line for step ${step} in:\n${output}`).toBeDefined();
      expect(line, output).toMatch(/ (cached|skipped)\b/);
    }
    expect(output).not.toMatch(/setup: (installing|fetching|building|updating|rebuilding)/);
    expect(lines.filter((l) => l.startsWith("setup: done")).at(-1), output).toMatch(/nothing installed/);
  });

  it("writes .tools/env.sh naming a kafka libs folder that holds the kafka_2.13 3.9 jar", () => {
    const envFile = join(root, ".tools", "env.sh");
    expect(existsSync(envFile)).toBe(true);
    const libs = envValue(envFile, "SHAKEDOWN_KAFKA_LIBS");
    expect(libs).toBeDefined();
    const jars = readdirSync(libs as string);
    expect(
      jars.some((jar) => /^kafka_2\.13-3\.9\.\d+\.jar$/.test(jar)),
      jars.join(", "),
    ).toBe(true);
  });
});
