import { trace } from "@opentelemetry/api";
import type { Level } from "pino";
import { Counter } from "prom-client";
import { logger } from "./logger.js";
import { registry } from "./metrics.js";

/** Extra detail on a decision; name keys in the OpenTelemetry style: dotted, lowercase (`shakedown.limit`). */
export type DecisionAttributes = Record<string, string | number | boolean>;

export interface DecisionOptions {
  /** Level of the log line; a defense deciding on every request may prefer "debug". Default "info". */
  level?: Level;
}

export const DECISION_EVENT = "shakedown.defense.decision";

const decisions = new Counter({
  name: "shakedown_defense_decisions_total",
  help: "Decisions taken by defenses (rate limiter, breaker, cache...), by defense and decision.",
  labelNames: ["defense", "decision"] as const,
  registers: [registry],
});

/**
 * Records what a defense decided (a limiter "limited", a breaker "opened", a cache "hit") in one call: a
 * counter on /metrics, an event on the active span, and a log line.
 */
export function recordDecision(
  defense: string,
  decision: string,
  attributes: DecisionAttributes = {},
  options: DecisionOptions = {},
): void {
  decisions.inc({ defense, decision });
  const fields = { ...attributes, "shakedown.defense": defense, "shakedown.decision": decision };
  trace.getActiveSpan()?.addEvent(DECISION_EVENT, fields);
  logger[options.level ?? "info"](fields, `${defense}: ${decision}`);
}
