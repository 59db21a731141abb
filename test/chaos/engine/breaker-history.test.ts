import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callsWhileOpen } from "../../../chaos/checkers/calls-while-open.js";
import { breakerHistory } from "../../../chaos/engine/breaker-history.js";
import { createInserter } from "../../../collector/store/insert.js";
import { openDatabase } from "../../../collector/store/schema.js";
import { BASE_MS, from, KIND, log, resource, span, traceId } from "../../collector/query/fixtures.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-breaker-history-"));
const path = join(folder, "run.db");

/** A decision as the agent logs it (agents/decision.ts). */
const decision = (atMs: number, name: string, callee = "recommendations") =>
  log({
    atMs,
    body: `rpc.circuit_breaker: ${name}`,
    attributes: {
      "peer.service": callee,
      "shakedown.defense": "rpc.circuit_breaker",
      "shakedown.decision": name,
    },
  });

/** One call from a gateway to recommendations: the gateway's client span and the callee's server span. */
const call = (name: string, sentMs: number, arrivedMs: number) => ({
  client: span({
    trace: name,
    id: `${name}-c`,
    name: "Recommend",
    kind: KIND.client,
    startMs: sentMs,
    durationMs: 5,
  }),
  server: span({
    trace: name,
    id: `${name}-s`,
    parent: `${name}-c`,
    name: "Recommend",
    kind: KIND.server,
    startMs: arrivedMs,
    durationMs: 1,
  }),
});

beforeAll(() => {
  const db = openDatabase(path);
  const inserter = createInserter(db);
  const calls = [call("early", 100, 101), call("inflight", 990, 1030), call("probe", 2000, 2002)];
  db.transaction(() => {
    inserter.insert(
      from(resource("gateway", "gateway-1"), {
        spans: calls.map((c) => c.client),
        logs: [
          decision(1000, "opened"),
          decision(1500, "rejected"),
          decision(2000, "half_opened"),
          decision(2010, "closed"),
          decision(1200, "opened", "catalog"),
          // Outside the run.
          decision(50_000, "opened"),
          log({ atMs: 1100, body: "unrelated", attributes: { "shakedown.defense": "fallback" } }),
        ],
      }),
    );
    inserter.insert(
      from(resource("recommendations", "recommendations-1"), {
        spans: [
          ...calls.map((c) => c.server),
          // A health check nobody instrumented called: no caller, not a call between services.
          span({
            trace: "health",
            id: "health",
            name: "Check",
            kind: KIND.server,
            startMs: 1500,
            durationMs: 1,
          }),
        ],
      }),
    );
  })();
  db.close();
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("breaker history from the collector's database", () => {
  const times = { methodStartMillis: BASE_MS, methodEndMillis: BASE_MS + 10_000, faults: {} };

  it("reads every breaker transition with its caller and callee, and every call with when it was sent", async () => {
    const history = await breakerHistory(path).collect(times);
    expect(history.breakerTransitions).toEqual(
      expect.arrayContaining([
        { timeMillis: BASE_MS + 1000, state: "open", source: "gateway-1", callee: "recommendations" },
        { timeMillis: BASE_MS + 2000, state: "half_open", source: "gateway-1", callee: "recommendations" },
        { timeMillis: BASE_MS + 2010, state: "closed", source: "gateway-1", callee: "recommendations" },
        { timeMillis: BASE_MS + 1200, state: "open", source: "gateway-1", callee: "catalog" },
      ]),
    );
    expect(history.breakerTransitions).toHaveLength(4);
    expect([...(history.calleeCalls ?? [])].sort((a, b) => a.timeMillis - b.timeMillis)).toEqual([
      {
        timeMillis: BASE_MS + 100,
        source: "gateway-1",
        callee: "recommendations",
        traceId: traceId("early"),
      },
      {
        timeMillis: BASE_MS + 990,
        source: "gateway-1",
        callee: "recommendations",
        traceId: traceId("inflight"),
      },
      {
        timeMillis: BASE_MS + 2000,
        source: "gateway-1",
        callee: "recommendations",
        traceId: traceId("probe"),
      },
    ]);
  });

  it("lets calls_while_open excuse a call sent before the breaker opened that arrived after", async () => {
    const history = await breakerHistory(path).collect(times);
    expect(callsWhileOpen.check(history, { callee: "recommendations" })).toMatchObject({
      valid: true,
      callCount: 3,
      openedCount: 1,
      callsWhileHalfOpen: [1],
    });
  });
});
