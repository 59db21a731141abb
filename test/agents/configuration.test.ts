import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AppProcess, HOLD_EXPORTS, startApp } from "./app-process.js";
import { type Receiver, SPAN_KIND_SERVER, startReceiver } from "./receiver.js";

describe("configuration", () => {
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

  it("a service named in OTEL_RESOURCE_ATTRIBUTES keeps that name and instance id", async () => {
    app = await startApp("bare", {
      ...HOLD_EXPORTS,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_RESOURCE_ATTRIBUTES: "service.name=ledger,service.instance.id=ledger-1,service.version=2.3.4",
    });
    await fetch(`http://127.0.0.1:${app.port}/`);
    await app.exit();

    expect(receiver.spans()[0]?.resource).toMatchObject({
      "service.name": "ledger",
      "service.instance.id": "ledger-1",
      "service.version": "2.3.4",
    });
    expect(app.lines()[0]?.["service.name"]).toBe("ledger");
  });

  it("a service that calls startAgent before importing its code is observed as with --import", async () => {
    app = await startApp(
      "programmatic",
      { ...HOLD_EXPORTS, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      { importAgent: false },
    );
    await fetch(`http://127.0.0.1:${app.port}/`);

    expect(await app.exit()).toEqual({ code: 0, signal: null });
    const span = receiver.spans().find((s) => s.kind === SPAN_KIND_SERVER);
    expect(span?.resource).toMatchObject({ "service.name": "payments", "service.version": "1.2.3" });
  });

  it("OTEL_SERVICE_NAME wins over the name the code gives", async () => {
    app = await startApp(
      "programmatic",
      { ...HOLD_EXPORTS, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "payments-canary" },
      { importAgent: false },
    );
    await fetch(`http://127.0.0.1:${app.port}/`);
    await app.exit();

    expect(receiver.logs()[0]?.resource["service.name"]).toBe("payments-canary");
    expect(app.lines()[0]?.["service.name"]).toBe("payments-canary");
  });

  it("the protocol is http/protobuf unless chosen, for all signals or for one, with the headers given", async () => {
    app = await startApp("app", {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_HEADERS: "x-shakedown-run=run-42",
    });
    await fetch(`http://127.0.0.1:${app.port}/orders/9`);
    app.signal("SIGTERM");
    await app.exit();

    expect(receiver.arrivals().every(({ headers }) => headers["x-shakedown-run"] === "run-42")).toBe(true);
    expect(
      new Set(receiver.arrivals().map(({ path, headers }) => `${path} ${headers["content-type"]}`)),
    ).toEqual(
      new Set([
        "/v1/traces application/x-protobuf",
        "/v1/metrics application/x-protobuf",
        "/v1/logs application/json",
      ]),
    );
  });

  it("with OTEL_SDK_DISABLED the app serves, logs without trace ids, and sends nothing", async () => {
    app = await startApp("app", {
      OTEL_SDK_DISABLED: "true",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    expect((await fetch(`http://127.0.0.1:${app.port}/orders/8`)).status).toBe(200);
    app.signal("SIGTERM");

    expect(await app.exit()).toEqual({ code: 0, signal: null });
    expect(app.lines().find((line) => line.msg === "looking up order")).not.toHaveProperty("trace_id");
    expect(receiver.requests()).toBe(0);
  });
});
