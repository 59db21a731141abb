import { expect, it } from "vitest";
import { recordDecision } from "../../agents/decision.js";
import { registry, serveMetrics } from "../../agents/metrics.js";

it("serveMetrics serves the Prometheus text format, with default process metrics, on 127.0.0.1", async () => {
  const port = await serveMetrics(0);

  const response = await fetch(`http://127.0.0.1:${port}/metrics`);

  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await response.text();
  expect(text).toContain("# TYPE process_cpu_seconds_total counter");
  expect(text).toContain("nodejs_heap_size_total_bytes");
});

it("recordDecision counts each defense and decision apart", async () => {
  recordDecision("breaker", "opened", { "shakedown.failures": 5 });
  recordDecision("breaker", "opened");
  recordDecision("cache", "hit", {}, { level: "debug" });

  const text = await registry.getSingleMetricAsString("shakedown_defense_decisions_total");
  expect(text).toContain('shakedown_defense_decisions_total{defense="breaker",decision="opened"} 2');
  expect(text).toContain('shakedown_defense_decisions_total{defense="cache",decision="hit"} 1');
});
