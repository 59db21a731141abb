import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Collector, DEFAULT_COLLECTOR_OPTIONS, startCollector } from "../../collector/collector.js";
import { signalNamed } from "../../collector/otlp/signals.js";
import { encodeProtobuf, hexId, randomSpans, spansRequest } from "../helpers/otlp.js";

const TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

function exportRaw(client: Client, body: Buffer, metadata = new Metadata()): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      TRACE_EXPORT,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      (error: ServiceError | null, response?: Buffer) =>
        error ? reject(error) : resolve(response as Buffer),
    );
  });
}

describe("OTLP/gRPC receiver", () => {
  let collector: Collector;
  let client: Client;

  beforeAll(async () => {
    collector = await startCollector({
      ...DEFAULT_COLLECTOR_OPTIONS,
      dbPath: join(mkdtempSync(join(tmpdir(), "shakedown-grpc-")), "collector.db"),
      otlpHttpPort: 0,
      otlpGrpcPort: 0,
      apiPort: 0,
      token: "s3cret",
    });
    client = new Client(collector.urls.otlpGrpc, credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await collector.close();
  });

  const authorized = () => {
    const metadata = new Metadata();
    metadata.set("authorization", "Bearer s3cret");
    return metadata;
  };

  it("refuses an export without the bearer token as UNAUTHENTICATED", async () => {
    const body = encodeProtobuf("traces", spansRequest("grpc", randomSpans(1)));
    await expect(exportRaw(client, body)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it("answers a truncated message with INVALID_ARGUMENT naming the decode failure", async () => {
    const body = encodeProtobuf("traces", spansRequest("grpc", randomSpans(4)));
    await expect(exportRaw(client, body.subarray(0, body.length - 5), authorized())).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/protobuf does not decode/),
    });
  });

  it("reports rejected spans as a partial success in the response message", async () => {
    const request = spansRequest("grpc", randomSpans(2)) as {
      resourceSpans: { scopeSpans: { spans: object[] }[] }[];
    };
    request.resourceSpans[0]?.scopeSpans[0]?.spans.push({
      traceId: hexId(16),
      spanId: "",
      name: "no span id",
    });
    const response = await exportRaw(client, encodeProtobuf("traces", request), authorized());
    const expected = signalNamed("traces").encodeResponse(1, "span.spanId is empty");
    expect(Buffer.from(response)).toEqual(Buffer.from(expected));
  });

  it("requires the bearer token on the OTLP/HTTP receiver and the query API too", async () => {
    const body = JSON.stringify(spansRequest("http", randomSpans(1)));
    const denied = await fetch(`${collector.urls.otlpHttp}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(denied.status).toBe(401);
    const allowed = await fetch(`${collector.urls.otlpHttp}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer s3cret" },
      body,
    });
    expect(allowed.status).toBe(200);
    expect((await fetch(`${collector.urls.api}/api/services`)).status).toBe(401);
    const services = await fetch(`${collector.urls.api}/api/services`, {
      headers: { authorization: "Bearer s3cret" },
    });
    expect(services.status).toBe(200);
  });
});
