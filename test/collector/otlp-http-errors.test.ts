import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../collector/collector.js";
import { encodeProtobuf, hexId, post, randomSpans, spansRequest } from "../helpers/otlp.js";

const MAX_BODY = 256 * 1024;

describe("OTLP/HTTP receiver under malformed input", () => {
  let collector: Collector;
  let dbPath: string;
  let tracesUrl: string;
  const accepted: string[] = [];

  const acceptSome = async () => {
    const spans = randomSpans(3);
    const response = await post(tracesUrl, JSON.stringify(spansRequest("steady", spans)), "application/json");
    expect(response.status).toBe(200);
    accepted.push(...spans.map((s) => s.spanId));
  };

  beforeAll(async () => {
    dbPath = join(mkdtempSync(join(tmpdir(), "shakedown-errors-")), "collector.db");
    collector = await startCollector({
      ...DEFAULT_COLLECTOR_OPTIONS,
      dbPath,
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      apiPort: 0,
      maxBodyBytes: MAX_BODY,
    });
    tracesUrl = `${collector.urls.otlpHttp}/v1/traces`;
    await acceptSome();
  });

  afterAll(async () => {
    await collector.close();
  });

  it("answers a truncated protobuf with 400 and a google.rpc.Status naming the decode failure", async () => {
    const whole = encodeProtobuf("traces", spansRequest("svc", randomSpans(5)));
    const response = await post(tracesUrl, whole.subarray(0, whole.length - 7), "application/x-protobuf");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/x-protobuf");
    const status = new protobuf.Type("Status")
      .add(new protobuf.Field("code", 1, "int32"))
      .add(new protobuf.Field("message", 2, "string"))
      .decode(response.body) as unknown as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/protobuf does not decode/);
    await acceptSome();
  });

  it("answers invalid JSON with 400 in JSON naming the parse error", async () => {
    const response = await post(tracesUrl, '{"resourceSpans": [', "application/json");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(response.body.toString()).message).toMatch(/not valid JSON/);
    await acceptSome();
  });

  it("answers JSON that is not shaped like OTLP with 400", async () => {
    const response = await post(tracesUrl, '{"resourceSpans": 7}', "application/json");
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body.toString()).message).toMatch(/resourceSpans is not an array/);
  });

  it("answers a wrong content type with 415 naming the type", async () => {
    const response = await post(tracesUrl, "hello", "text/plain");
    expect(response.status).toBe(415);
    expect(JSON.parse(response.body.toString()).message).toMatch(/text\/plain/);
    await acceptSome();
  });

  it("answers a body over the limit with 413", async () => {
    const response = await post(tracesUrl, "x".repeat(MAX_BODY + 1), "application/json");
    expect(response.status).toBe(413);
    await acceptSome();
  });

  it("answers gzip that inflates beyond the limit with 413", async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_BODY * 8, " "));
    expect(bomb.length).toBeLessThan(MAX_BODY);
    const response = await post(tracesUrl, bomb, "application/json", { "content-encoding": "gzip" });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString()).message).toMatch(/after decompression/);
    await acceptSome();
  });

  it("answers gzip that does not inflate with 400", async () => {
    const response = await post(tracesUrl, Buffer.from("definitely not gzip"), "application/json", {
      "content-encoding": "gzip",
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body.toString()).message).toMatch(/gzip body does not inflate/);
    await acceptSome();
  });

  it("accepts a gzip body that inflates within the limit", async () => {
    const spans = randomSpans(4);
    const body = gzipSync(JSON.stringify(spansRequest("gzipped", spans)));
    const response = await post(tracesUrl, body, "application/json", { "content-encoding": "gzip" });
    expect(response.status).toBe(200);
    accepted.push(...spans.map((s) => s.spanId));
  });

  it("answers a GET with 405 and Allow: POST", async () => {
    const response = await fetch(tracesUrl);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    await acceptSome();
  });

  it("keeps the good spans of a request and reports the bad ones as a partial success", async () => {
    const good = randomSpans(2);
    const request = spansRequest("partial", good) as {
      resourceSpans: { scopeSpans: { spans: object[] }[] }[];
    };
    request.resourceSpans[0]?.scopeSpans[0]?.spans.push({ traceId: "abc", spanId: hexId(8), name: "bad" });
    const response = await post(tracesUrl, JSON.stringify(request), "application/json");
    expect(response.status).toBe(200);
    const body = JSON.parse(response.body.toString());
    expect(body.partialSuccess.rejectedSpans).toBe("1");
    expect(body.partialSuccess.errorMessage).toMatch(/traceId/);
    accepted.push(...good.map((s) => s.spanId));
  });

  it("answers a request whose every item is invalid with 400", async () => {
    const request = {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: "00", spanId: "zz", name: "x" }] }] }],
    };
    const response = await post(tracesUrl, JSON.stringify(request), "application/json");
    expect(response.status).toBe(400);
  });

  it("ignores unknown JSON fields", async () => {
    const spans = randomSpans(1);
    const request = { ...spansRequest("unknown-fields", spans), somethingNew: { nested: true } };
    const response = await post(tracesUrl, JSON.stringify(request), "application/json");
    expect(response.status).toBe(200);
    accepted.push(...spans.map((s) => s.spanId));
  });

  it("has lost nothing it acknowledged before, after all the bad input", async () => {
    const db = new Database(dbPath, { readonly: true });
    try {
      const stored = new Set(
        (db.prepare("SELECT lower(hex(span_id)) AS id FROM spans").all() as { id: string }[]).map(
          (r) => r.id,
        ),
      );
      for (const id of accepted) expect(stored.has(id)).toBe(true);
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      db.close();
    }
  });
});
