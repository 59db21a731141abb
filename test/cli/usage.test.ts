import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../collector/paths.js";

const shakedown = (...args: string[]) =>
  spawnSync(process.execPath, [join(projectRoot, "bin", "shakedown.js"), ...args], {
    encoding: "utf8",
    timeout: 30_000,
  });

describe("shakedown command line", () => {
  it("exits 2 naming the flag and the value when a duration is malformed", () => {
    const result = shakedown("collector", "--retention", "banana");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--retention: "banana" is not a duration/);
  });

  it("exits 2 when a port is out of range", () => {
    const result = shakedown("collector", "--otlp-http-port", "70000");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--otlp-http-port: "70000" is not a port/);
  });

  it("exits 2 when a size is malformed", () => {
    const result = shakedown("collector", "--max-db-size", "2 parsecs");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--max-db-size/);
  });

  it("exits 2 on an unknown command or flag", () => {
    expect(shakedown("frobnicate").status).toBe(2);
    const result = shakedown("collector", "--no-such-flag");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it("exits 0 for --help and lists the collector's flags", () => {
    const result = shakedown("collector", "--help");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--otlp-grpc-port/);
    expect(result.stdout).toMatch(/--token/);
  });
});
