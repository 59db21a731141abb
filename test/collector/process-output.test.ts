import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createProcessLogSink } from "../../collector/receivers/process-output.js";
import { DEFAULT_WRITER_OPTIONS, startWriter } from "../../collector/store/writer.js";

describe("node output stored as logs", () => {
  it("stores each line under the node's role and name, with pino levels and trace ids understood", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "shakedown-output-")), "out.db");
    const writer = await startWriter({ ...DEFAULT_WRITER_OPTIONS, path });
    const sink = createProcessLogSink(writer);
    const kafka = { name: "kafka-1", role: "kafka", pid: 4242 };
    const catalog = { name: "catalog-2", role: "catalog", pid: 4343 };
    sink.line(kafka, "stdout", "[KafkaServer id=1] started");
    sink.line(kafka, "stderr", "WARN something odd <img src=x>");
    sink.line(
      catalog,
      "stdout",
      JSON.stringify({
        level: 50,
        msg: "boom",
        trace_id: "0af7651916cd43dd8448eb211c80319c",
        span_id: "b7ad6b7169203331",
      }),
    );
    sink.line(catalog, "stdout", "{not json");
    await sink.close();
    await writer.close();

    const db = new Database(path, { readonly: true });
    const rows = db
      .prepare(
        `SELECT logs.service_name AS service, r.service_instance_id AS instance, severity_number AS severity, body,
           logs.attributes, lower(hex(trace_id)) AS traceId
         FROM logs JOIN resources r ON r.id = logs.resource_id ORDER BY logs.id`,
      )
      .all() as {
      service: string;
      instance: string;
      severity: number;
      body: string;
      attributes: string;
      traceId: string | null;
    }[];
    db.close();
    expect(rows.map((r) => [r.service, r.instance, r.severity, JSON.parse(r.body)])).toEqual([
      ["kafka", "kafka-1", 0, "[KafkaServer id=1] started"],
      ["kafka", "kafka-1", 0, "WARN something odd <img src=x>"],
      ["catalog", "catalog-2", 17, expect.stringContaining('"msg":"boom"')],
      ["catalog", "catalog-2", 0, "{not json"],
    ]);
    expect(JSON.parse(rows[1]?.attributes ?? "{}")).toEqual({
      "log.iostream": "stderr",
      "process.pid": 4242,
    });
    expect(rows[2]?.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(sink.dropped()).toBe(0);
  });

  it("drops and counts lines beyond its buffer instead of growing without bound", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "shakedown-output-")), "out.db");
    const writer = await startWriter({ ...DEFAULT_WRITER_OPTIONS, path });
    const sink = createProcessLogSink(writer, { flushIntervalMillis: 60_000, maxBufferedLines: 10 });
    for (let i = 0; i < 25; i++) sink.line({ name: "n", role: "r", pid: 1 }, "stdout", `line ${i}`);
    expect(sink.dropped()).toBe(15);
    await sink.close();
    await writer.close();
  });
});
