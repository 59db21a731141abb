import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, HOLD_EXPORTS, startApp } from "./app-process.js";
import { type Receiver, SPAN_KIND_SERVER, startReceiver } from "./receiver.js";

describe("POST /control/telemetry/flush", () => {
  let receiver: Receiver;
  let app: AppProcess;
  let admin: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    app = await startApp("app", {
      ...HOLD_EXPORTS,
      OTEL_SERVICE_NAME: "orders",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    admin = `http://127.0.0.1:${(await app.line("listening"))["admin.port"]}`;
  });

  afterAll(async () => {
    app?.stop();
    await receiver?.close();
  });

  it("exports what the batches and the metric reader hold, and answers once the receiver took it", async () => {
    expect((await fetch(`http://127.0.0.1:${app.port}/orders/7`)).status).toBe(200);
    expect(receiver.requests()).toBe(0);

    const flushed = await fetch(`${admin}/control/telemetry/flush`, { method: "POST" });

    expect(flushed.status).toBe(204);
    // No waiting: the answer came after every export was acknowledged.
    expect(
      receiver.spans().some((span) => span.kind === SPAN_KIND_SERVER && span.name === "GET /orders/:id"),
    ).toBe(true);
    expect(receiver.logs().some((log) => log.body === "looking up order")).toBe(true);
    expect(receiver.metrics().some((metric) => metric.name === "http.server.request.duration")).toBe(true);
  });

  it("is a POST", async () => {
    const response = await fetch(`${admin}/control/telemetry/flush`);

    expect(response.status).toBe(405);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/POST/);
  });
});
