import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../collector/paths.js";

const run = promisify(execFile);

describe("shakedown demo", () => {
  it("runs a shopping session whose traces cross both sample services, then exits cleanly with --once", async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), "shakedown-demo-")), "demo.db");
    const { stdout } = await run(
      process.execPath,
      [
        join(projectRoot, "bin", "shakedown.js"),
        "demo",
        "--once",
        "--requests",
        "20",
        "--db",
        dbPath,
        "--otlp-http-port",
        "0",
        "--otlp-grpc-port",
        "0",
        "--api-port",
        "0",
      ],
      { timeout: 90_000 },
    );
    expect(stdout).toMatch(/services seen: pricing, storefront/);
    expect(stdout).toMatch(/a failed request's trace: http:\/\/127\.0\.0\.1:\d+\/api\/traces\/[0-9a-f]{32}/);

    const db = new Database(dbPath, { readonly: true });
    try {
      const crossing = db
        .prepare(
          `SELECT count(DISTINCT s.trace_id) AS n FROM spans s JOIN spans p ON p.trace_id = s.trace_id
           WHERE s.service_name = 'pricing' AND p.service_name = 'storefront' AND p.kind = 2`,
        )
        .get() as { n: number };
      expect(crossing.n).toBe(20);
      const scraped = db.prepare("SELECT count(*) AS n FROM metric_series WHERE name = 'up'").get() as {
        n: number;
      };
      expect(scraped.n).toBe(2);
    } finally {
      db.close();
    }
  });
});
