import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AppProcess, HOLD_EXPORTS, startApp } from "./app-process.js";
import { type Receiver, startReceiver } from "./receiver.js";

describe("shutdown", () => {
  let receiver: Receiver;
  let app: AppProcess | undefined;

  beforeEach(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    app?.stop();
    app = undefined;
    await receiver.close();
  });

  it("telemetry held at SIGTERM is flushed, and the app's own handler still decides the exit", async () => {
    app = await startApp("app", {
      ...HOLD_EXPORTS,
      OTEL_SERVICE_NAME: "orders",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    expect((await fetch(`http://127.0.0.1:${app.port}/orders/7`)).status).toBe(200);
    expect(receiver.requests()).toBe(0);

    app.signal("SIGTERM");

    expect(await app.exit()).toEqual({ code: 0, signal: null });
    expect(receiver.spans().map((span) => span.name)).toContain("GET /orders/:id");
    // "stopping" is logged by the app's SIGTERM handler, so it can only have been sent after the signal.
    expect(receiver.logs().map((log) => log.body)).toEqual(
      expect.arrayContaining(["listening", "looking up order", "stopping"]),
    );
    expect(receiver.metrics().length).toBeGreaterThan(0);
  });

  it("without a handler of the app's, SIGTERM flushes and then ends the process by SIGTERM", async () => {
    app = await startApp("bare", { ...HOLD_EXPORTS, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    await app.line("listening");
    expect(receiver.requests()).toBe(0);

    app.signal("SIGTERM");

    expect(await app.exit()).toEqual({ code: null, signal: "SIGTERM" });
    expect(receiver.logs().map((log) => log.body)).toContain("listening");
  });

  it("a process that ends by itself flushes before it exits", async () => {
    app = await startApp("bare", { ...HOLD_EXPORTS, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    expect(await (await fetch(`http://127.0.0.1:${app.port}/`)).text()).toBe("ok");

    expect(await app.exit()).toEqual({ code: 0, signal: null });
    expect(receiver.spans().map((span) => span.name)).toContain("GET");
  });
});
