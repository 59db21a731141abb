import { randomUUID } from "node:crypto";
import { assertLoopback } from "../load/loopback.js";
import { fillTemplate, hasKeyPlaceholder, templateProblem } from "../load/template.js";
import type { NodeStatus } from "../supervisor/node-spec.js";
import type { FaultContext, FaultFactory } from "./context.js";
import { durationMillis, durationSchema } from "./durations.js";
import { FaultConfigError } from "./errors.js";
import { nodeTargetSchema, resolveTargets } from "./targets.js";

const DEFAULT_TIMEOUT_MILLIS = 5000;

/** How one request of a burst ended: its status, or why there is none. */
interface Outcome {
  readonly status: number | null;
  readonly error: string | null;
}

/** A burst whose requests are out: verify waits for them, heal stops them. */
interface Running {
  readonly controller: AbortController;
  readonly outcomes: Promise<Outcome[]>;
  readonly startedAt: number;
}

const noHttpPort = (node: NodeStatus) => (node.ports.http === undefined ? "has no http port" : null);

async function send(url: string, init: RequestInit): Promise<Outcome> {
  try {
    const response = await fetch(url, init);
    await response.arrayBuffer();
    return { status: response.status, error: null };
  } catch (error) {
    const name = (error as Error).name;
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return { status: null, error: name === "TimeoutError" || name === "AbortError" ? name : (code ?? name) };
  }
}

function tally(values: readonly (string | number)[]): string {
  const counts = new Map<string | number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => `${value} ×${count}`).join(", ");
}

/**
 * A flash crowd: `requests` HTTP requests to the target nodes (round robin), all started at the same
 * instant, so that that many are in flight together, e.g. 500 readers of one hot key just as it expires.
 * The path, headers and body take the flood's placeholders (`{{cycle N}}` numbers the requests). Verify
 * waits for the answers (each within `timeout`) and holds when at least one came back; heal aborts the
 * requests still out. Every request goes to loopback.
 */
export const burst: FaultFactory = (context: FaultContext) => {
  const running = new Map<string, Running>();
  return {
    name: "burst",
    description: "Sends many HTTP requests to the target nodes at the same instant, e.g. onto one hot key.",
    targetSchema: nodeTargetSchema,
    configSchema: {
      type: "object",
      additionalProperties: false,
      required: ["requests", "path"],
      properties: {
        requests: { type: "integer", minimum: 1, maximum: 10_000 },
        method: { enum: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] },
        path: { type: "string", pattern: "^/" },
        headers: { type: "object", additionalProperties: { type: "string" } },
        body: {},
        timeout: durationSchema,
      },
    },
    async inject(target, config, signal) {
      const nodes = resolveTargets("burst", target, context, noHttpPort);
      const path = config.path as string;
      const headers = (config.headers ?? {}) as Record<string, string>;
      const body = config.body === undefined ? null : JSON.stringify(config.body);
      const template = JSON.stringify([path, headers, body]);
      const problem = template.includes("{{token}}")
        ? "uses {{token}}, which only a flood's login provides"
        : templateProblem(template);
      if (problem !== null) throw new FaultConfigError("burst", problem);
      const keyed = hasKeyPlaceholder(template);
      const timeoutMillis = durationMillis(config.timeout, DEFAULT_TIMEOUT_MILLIS);
      const count = config.requests as number;
      // Every request is built before the first leaves, so a bad one cannot leave the others running.
      const prepared = Array.from({ length: count }, (_, sequence) => {
        const key = keyed ? randomUUID() : null;
        const fill = (text: string) => fillTemplate(text, { key, sequence });
        const node = nodes[sequence % nodes.length] as NodeStatus;
        const url = assertLoopback(`http://${node.host}:${node.ports.http}${fill(path)}`).toString();
        const init: RequestInit = {
          method: (config.method as string | undefined) ?? "GET",
          headers: {
            ...(body === null ? {} : { "content-type": "application/json" }),
            ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, fill(value)])),
          },
          ...(body === null ? {} : { body: fill(body) }),
        };
        return { url, init };
      });
      const controller = new AbortController();
      const stop = AbortSignal.any([controller.signal, signal]);
      const startedAt = performance.now();
      const requests = prepared.map(({ url, init }) =>
        send(url, { ...init, signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMillis)]) }),
      );
      const id = randomUUID();
      running.set(id, { controller, outcomes: Promise.all(requests), startedAt });
      return { id, requests: count, nodes: nodes.map((node) => node.name), sentAtMillis: Date.now() };
    },
    async verify(injection) {
      const burst = running.get(injection.id as string);
      if (burst === undefined)
        return { tookEffect: false, evidence: "the burst's requests are not running in this process" };
      const outcomes = await burst.outcomes;
      const elapsedMillis = Math.round(performance.now() - burst.startedAt);
      const answered = outcomes.flatMap((outcome) => (outcome.status === null ? [] : [outcome.status]));
      const failed = outcomes.flatMap((outcome) => (outcome.error === null ? [] : [outcome.error]));
      const where = (injection.nodes as string[]).join(", ");
      const evidence =
        `${outcomes.length} requests sent at once to ${where}; ${answered.length} answered within ` +
        `${elapsedMillis} ms (${tally(answered) || "none"})${failed.length > 0 ? `, no answer: ${tally(failed)}` : ""}`;
      return { tookEffect: answered.length > 0, evidence };
    },
    async heal(injection) {
      const burst = running.get(injection.id as string);
      if (burst === undefined) return;
      burst.controller.abort();
      await burst.outcomes;
      running.delete(injection.id as string);
    },
    // The requests belonged to the engine's process, and ended with it.
    async healUnconfirmed() {},
  };
};
