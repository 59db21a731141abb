import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { type AppProcess, startApp } from "./app-process.js";
import { eventually } from "./eventually.js";

let app: AppProcess | undefined;

afterEach(() => app?.stop());

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function agentReports(stderr: string): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((report) => report.name === "shakedown-agent");
}

it("an unreachable collector is reported once per signal, totalled at shutdown, and never reaches the app", async () => {
  app = await startApp("app", {
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
    OTEL_BSP_SCHEDULE_DELAY: "50",
    OTEL_BLRP_SCHEDULE_DELAY: "50",
    OTEL_METRIC_EXPORT_INTERVAL: "200",
    // The exporters retry a refused connection; a short budget keeps the exit near.
    OTEL_EXPORTER_OTLP_TIMEOUT: "1000",
  });
  const running = app;
  const firstFailures = () => agentReports(running.stderr()).filter((report) => report.error !== undefined);

  expect((await fetch(`http://127.0.0.1:${running.port}/orders/1`)).status).toBe(200);
  await eventually("a first failure of each signal", () => (firstFailures().length === 3 ? true : undefined));
  // Sent after the first traces export failed, this request's span fails in a later export.
  expect((await fetch(`http://127.0.0.1:${running.port}/orders/2`)).status).toBe(200);
  running.signal("SIGTERM");

  expect(await running.exit()).toEqual({ code: 0, signal: null });
  expect(firstFailures().map((report) => report.signal)).toEqual(
    expect.arrayContaining(["traces", "logs", "metrics"]),
  );
  expect(firstFailures()).toHaveLength(3);
  const tracesTotal = agentReports(running.stderr()).find(
    (report) => report.signal === "traces" && report.failedExports !== undefined,
  );
  expect(tracesTotal?.failedExports).toBeGreaterThanOrEqual(2);
  expect(tracesTotal?.droppedItems).toBeGreaterThanOrEqual(tracesTotal?.failedExports as number);
});
