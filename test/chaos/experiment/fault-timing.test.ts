import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DECISION_EVENT as AGENT_DECISION_EVENT } from "../../../agents/decision.js";
import { assertionKinds } from "../../../chaos/experiment/assertions/registry.js";
import { type ExperimentError, isExperimentError } from "../../../chaos/experiment/errors.js";
import { evaluateMeasurement, type MeasurementOutcome } from "../../../chaos/experiment/evaluate.js";
import { faultCatalog } from "../../../chaos/experiment/fault-unit.js";
import { SqliteTelemetry } from "../../../chaos/experiment/sqlite-telemetry.js";
import { DECISION_EVENT } from "../../../chaos/experiment/telemetry.js";
import { parseExperiment } from "../../../chaos/experiment/validate.js";
import type { RunTimes } from "../../../chaos/experiment/windows.js";
import type { SpanRow } from "../../../collector/model.js";
import { createInserter } from "../../../collector/store/insert.js";
import { openDatabase } from "../../../collector/store/schema.js";
import { BASE_MS, from, KIND, log, ns, resource, STATUS, span } from "../../collector/query/fixtures.js";

/**
 * One hand-built run, written through the collector's own inserter into a real SQLite file. Times are
 * offsets from BASE_MS; the method runs 0–20 s, `kill-catalog` is injected at 5 s and healed at 10 s.
 *
 * - gateway: a request every 100 ms, 20 ms long; those starting in [5.4 s, 11.5 s) fail.
 * - catalog: a request every 100 ms; every one from 5 s on fails, to the end (never recovers).
 * - inventory: a request every 100 ms, none fails (nothing to detect).
 * - recommendations: a request every 100 ms, 20 ms long until 6 s, 400 ms long after (a latency fault).
 * - decisions by the gateway: breaker `opened` as a span event at 7.25 s and a log record at 7.3 s;
 *   breaker `closed` as a log record at 12.1 s.
 */
const METHOD_END = 20_000;
const times: RunTimes = {
  methodStartMillis: BASE_MS,
  methodEndMillis: BASE_MS + METHOD_END,
  faults: {
    "kill-catalog": { injectedAtMillis: BASE_MS + 5000, healedAtMillis: BASE_MS + 10_000 },
    "pause-forever": { injectedAtMillis: BASE_MS + 15_000, healedAtMillis: null },
  },
};

function requests(
  prefix: string,
  shape: (startMs: number) => { failed: boolean; durationMs: number },
): SpanRow[] {
  const rows: SpanRow[] = [];
  for (let startMs = 0; startMs < METHOD_END; startMs += 100) {
    const { failed, durationMs } = shape(startMs);
    const id = `${prefix}${startMs / 100}`;
    rows.push(
      span({
        trace: `t-${id}`,
        id,
        name: "GET /products/:id",
        kind: KIND.server,
        startMs,
        durationMs,
        status: failed ? STATUS.error : STATUS.unset,
      }),
    );
  }
  return rows;
}

const folder = mkdtempSync(join(tmpdir(), "shakedown-fault-timing-"));
let db: Database.Database;
let telemetry: SqliteTelemetry;

beforeAll(() => {
  db = openDatabase(join(folder, "telemetry.db"));
  const inserter = createInserter(db);
  const breakerEvent = (atMs: number, decision: string) => ({
    timeUnixNano: ns(atMs).toString(),
    name: DECISION_EVENT,
    attributes: {
      "shakedown.defense": "rpc.circuit_breaker",
      "shakedown.decision": decision,
      "peer.service": "catalog",
    },
    droppedAttributesCount: 0,
  });
  const gateway = requests("g", (startMs) => ({
    failed: startMs >= 5400 && startMs < 11_500,
    durationMs: 20,
  }));
  const carrier = gateway.find((row) => row.spanId === Buffer.from("g72".padEnd(8, "\0")).toString("hex"));
  if (carrier === undefined) throw new Error("no gateway span at 7.2 s to carry the decision event");
  const withEvent: SpanRow = { ...carrier, events: JSON.stringify([breakerEvent(7250, "opened")]) };
  const breakerLog = (atMs: number, decision: string) =>
    log({
      atMs,
      body: `rpc.circuit_breaker: ${decision}`,
      attributes: {
        "shakedown.defense": "rpc.circuit_breaker",
        "shakedown.decision": decision,
        "peer.service": "catalog",
      },
    });
  db.transaction(() => {
    inserter.insert(
      from(resource("gateway"), {
        spans: gateway.map((row) => (row === carrier ? withEvent : row)),
        logs: [breakerLog(7300, "opened"), breakerLog(12_100, "closed")],
      }),
    );
    inserter.insert(
      from(resource("catalog"), {
        spans: requests("c", (startMs) => ({ failed: startMs >= 5000, durationMs: 20 })),
      }),
    );
    inserter.insert(
      from(resource("inventory"), {
        spans: requests("i", () => ({ failed: false, durationMs: 20 })),
      }),
    );
    inserter.insert(
      from(resource("recommendations"), {
        spans: requests("r", (startMs) => ({
          failed: false,
          durationMs: startMs >= 6000 ? 400 : 20,
        })),
      }),
    );
  })();
  telemetry = new SqliteTelemetry(db);
});
afterAll(() => {
  db.close();
  rmSync(folder, { recursive: true, force: true });
});

const method = `method:
  - { id: kill-catalog, at: 5s, fault: kill, duration: 5s }
  - { id: pause-forever, at: 15s, fault: pause }
`;

/** Parses the assertions (validated as any experiment file is) and measures them on the database. */
async function measure(assertions: string): Promise<MeasurementOutcome[]> {
  const experiment = parseExperiment(`title: t\n${method}assertions:\n${assertions}`, "x.yaml", {
    faults: faultCatalog(["kill", "pause"]),
  });
  const context = {
    times,
    telemetry,
    http: { request: async () => ({ status: null }) },
    history: async () => ({}),
    signal: new AbortController().signal,
  };
  const window = { startMillis: times.methodStartMillis, endMillis: times.methodEndMillis };
  return Promise.all(
    experiment.assertions.map((assertion) => evaluateMeasurement(assertion, assertionKinds, window, context)),
  );
}

async function one(assertion: string): Promise<MeasurementOutcome> {
  return (await measure(assertion))[0] as MeasurementOutcome;
}

function problems(assertions: string): string[] {
  try {
    parseExperiment(`title: t\n${method}assertions:\n${assertions}`, "x.yaml", {
      faults: faultCatalog(["kill", "pause"]),
    });
  } catch (error) {
    if (!isExperimentError(error)) throw error;
    return (error as ExperimentError).problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`);
  }
  throw new Error("the assertions were accepted");
}

describe("time_to_detect on a real collector database", () => {
  it("is the first moment the failing share over the last `over` rises above the threshold", async () => {
    const [strict, anyError] = await measure(`
  - name: a fifth of the last second failing
    kind: time_to_detect
    fault: kill-catalog
    errors: { service: gateway, above: 0.2, over: 1s }
    max: 1000
  - name: the first failure
    kind: time_to_detect
    fault: kill-catalog
    errors: { service: gateway }
    max: 1000
`);
    // Ten requests end in every second; the first failure ends at 5.42 s, the third (3 of 10) at 5.62 s.
    expect(strict).toMatchObject({ valid: true, measured: 620, unit: "ms" });
    expect(strict?.details).toMatchObject({ atMillis: BASE_MS + 5620, ratio: 0.3, requests: 10 });
    expect(anyError).toMatchObject({ valid: true, measured: 420 });
  });

  it("fails a bar shorter than the detection time", async () => {
    const outcome = await one(`
  - name: within half a second
    kind: time_to_detect
    fault: kill-catalog
    errors: { service: gateway, above: 0.2 }
    max: 500
`);
    expect(outcome).toMatchObject({ valid: false, measured: 620 });
    expect(outcome.reason).toBe("measured 620 ms, bar ≤ 500 ms");
  });

  it("counts requests slower than `slowerThan` as failing, so a latency fault is detected too", async () => {
    const outcome = await one(`
  - name: slow recommendations noticed
    kind: time_to_detect
    fault: kill-catalog
    errors: { service: recommendations, slowerThan: 200ms }
    max: 2000
`);
    // The first 400 ms request starts at 6 s and ends at 6.4 s: 1.4 s after the injection at 5 s.
    expect(outcome).toMatchObject({ valid: true, measured: 1400 });
  });

  it("is the earliest record of a defense decision, its span event or its log record", async () => {
    const outcome = await one(`
  - name: the breaker opens
    kind: time_to_detect
    fault: kill-catalog
    decision: { defense: rpc.circuit_breaker, decision: opened, service: gateway }
    max: 3000
`);
    expect(outcome).toMatchObject({ valid: true, measured: 2250 });
  });

  it("never detected: a signal that never fires fails a bar shorter than the time watched", async () => {
    const [errors, decision] = await measure(`
  - name: inventory errors
    kind: time_to_detect
    fault: kill-catalog
    errors: { service: inventory }
    max: 1000
  - name: the recommendations breaker
    kind: time_to_detect
    fault: kill-catalog
    decision: { defense: rpc.circuit_breaker, attributes: { peer.service: recommendations } }
    max: 1000
`);
    expect(errors).toMatchObject({ valid: false, measured: null });
    expect(errors?.reason).toBe(
      "not detected in the 15 s from kill-catalog's injection to the method's end: the failing share of inventory's requests over 1 s above 0 peaked at 0",
    );
    expect(decision).toMatchObject({ valid: false, measured: null });
    expect(decision?.reason).toBe(
      "no rpc.circuit_breaker decision in the 15 s from kill-catalog's injection to the method's end",
    );
  });

  it("never detected, but the run watched less than the bar: unknown, not a pass", async () => {
    const outcome = await one(`
  - name: inventory errors within a minute
    kind: time_to_detect
    fault: kill-catalog
    errors: { service: inventory }
    max: 60000
`);
    expect(outcome).toMatchObject({ valid: "unknown", measured: null });
  });

  it("is unknown without data: no requests, too few per window, no telemetry of the deciding service, a fault never injected", async () => {
    const outcomes = await measure(`
  - name: ledger has no requests
    kind: time_to_detect
    fault: kill-catalog
    errors: { service: ledger }
    max: 1000
  - name: too few in any second
    kind: time_to_detect
    fault: kill-catalog
    errors: { service: inventory, minRequests: 50 }
    max: 1000
  - name: orders recorded nothing
    kind: time_to_detect
    fault: kill-catalog
    decision: { defense: rpc.circuit_breaker, service: orders }
    max: 1000
`);
    expect(outcomes.map((outcome) => [outcome.valid, outcome.reason])).toEqual([
      [
        "unknown",
        "too few requests to ledger ended from kill-catalog's injection to the method's end to judge",
      ],
      [
        "unknown",
        "too few requests to inventory ended from kill-catalog's injection to the method's end to judge",
      ],
      ["unknown", "no telemetry of orders from kill-catalog's injection to the method's end"],
    ]);
  });
});

describe("time_to_recover on a real collector database", () => {
  it("is the start of the first sustained stretch of healthy steps after the heal, or after the injection", async () => {
    const [afterHeal, afterInjection] = await measure(`
  - name: healthy again soon after the heal
    kind: time_to_recover
    fault: kill-catalog
    errors: { service: gateway, step: 500ms, sustain: 2s }
    max: 2000
  - name: counted from the injection
    kind: time_to_recover
    fault: kill-catalog
    from: injection
    errors: { service: gateway, step: 500ms, sustain: 2s }
    max: 10000
`);
    // The last failure ends at 11.48 s, so the step from 11.5 s starts four clean ones: 1.5 s after the heal.
    expect(afterHeal).toMatchObject({ valid: true, measured: 1500 });
    expect(afterHeal?.details).toMatchObject({ atMillis: BASE_MS + 11_500 });
    expect(afterInjection).toMatchObject({ valid: true, measured: 6500 });
  });

  it("tolerates the failing share `within` allows", async () => {
    const [tolerant, strict] = await measure(`
  - name: back under half failing
    kind: time_to_recover
    fault: kill-catalog
    errors: { service: gateway, within: 0.5, step: 1s, sustain: 1s }
    max: 10000
  - name: back to no failure
    kind: time_to_recover
    fault: kill-catalog
    errors: { service: gateway, step: 1s, sustain: 1s }
    max: 10000
`);
    // The second after the heal fails throughout; the next has 5 failures of 10, the one after none.
    expect(tolerant).toMatchObject({ valid: true, measured: 1000 });
    expect(strict).toMatchObject({ valid: true, measured: 2000 });
  });

  it("is the first matching decision after the heal, e.g. the breaker closing", async () => {
    const outcome = await one(`
  - name: the breaker closes
    kind: time_to_recover
    fault: kill-catalog
    decision: { defense: rpc.circuit_breaker, decision: closed }
    max: 3000
`);
    expect(outcome).toMatchObject({ valid: true, measured: 2100 });
  });

  it("never recovered: fails a bar the data already passed, and is unknown for a longer one", async () => {
    const [short, long] = await measure(`
  - name: catalog back within 5 s
    kind: time_to_recover
    fault: kill-catalog
    errors: { service: catalog }
    max: 5000
  - name: catalog back within a minute
    kind: time_to_recover
    fault: kill-catalog
    errors: { service: catalog }
    max: 60000
`);
    expect(short).toMatchObject({ valid: false, measured: null });
    expect(short?.reason).toBe(
      "not recovered in the 10 s watched from kill-catalog's heal: no 2 s of 500 ms steps with at most 0 of catalog's requests failing started before 10 s",
    );
    expect(short?.details).toMatchObject({ steps: 20 });
    expect(long).toMatchObject({ valid: "unknown", measured: null });
  });

  it("is unknown when no request ended after the heal, or the fault was never healed", async () => {
    const [noRequests, neverHealed] = await measure(`
  - name: ledger
    kind: time_to_recover
    fault: kill-catalog
    errors: { service: ledger }
    max: 1000
  - name: never healed
    kind: time_to_recover
    fault: pause-forever
    errors: { service: gateway }
    max: 1000
`);
    expect(noRequests).toMatchObject({ valid: "unknown" });
    expect(noRequests?.reason).toBe(
      "no request to ledger ended in a whole step from kill-catalog's heal to the method's end",
    );
    expect(neverHealed).toMatchObject({
      valid: "unknown",
      reason: "fault pause-forever was never healed in this run",
    });
  });
});

describe("validating time_to_detect and time_to_recover", () => {
  it("names a fault id the method does not have, with the file position", () => {
    expect(
      problems(`
  - name: x
    kind: time_to_detect
    fault: kill-catalgo
    errors: { service: gateway }
    max: 1000
`),
    ).toEqual([
      '9:5 assertions[0].fault: no method action with id "kill-catalgo" (ids: kill-catalog, pause-forever)',
    ]);
  });

  it("needs exactly one signal, a bar, and known fields in the signal", () => {
    expect(
      problems(`
  - name: both
    kind: time_to_recover
    fault: kill-catalog
    errors: { service: gateway }
    decision: { defense: rpc.circuit_breaker }
    max: 1000
  - name: neither and no bar
    kind: time_to_detect
    fault: kill-catalog
  - name: a recovery field in a detection
    kind: time_to_detect
    fault: kill-catalog
    errors: { service: gateway, sustain: 2s }
    max: 1000
  - name: a window
    kind: time_to_recover
    fault: kill-catalog
    window: { during: kill-catalog }
    errors: { service: gateway }
    max: 1000
`),
    ).toEqual([
      "7:5 assertions[0]: needs exactly one of errors, decision (found errors, decision)",
      "13:5 assertions[1]: needs a bar: min, max or both",
      "13:5 assertions[1]: needs exactly one of errors, decision (found none)",
      "19:33 assertions[2].errors.sustain: is not a known field (allowed: service, operation, minRequests, slowerThan, above, over)",
      "24:5 assertions[3].window: a time_to_recover assertion has no window",
    ]);
  });

  it("is an assertion, never a steady-state probe", () => {
    const text = `title: t\nsteadyState:\n  probes:\n    - name: p\n      kind: time_to_detect\n      fault: kill-catalog\n      errors: { service: gateway }\n      max: 1\n${method}`;
    expect(() => parseExperiment(text, "x.yaml", { faults: faultCatalog(["kill", "pause"]) })).toThrow(
      /a time_to_detect is timed from a fault of the method, so it is an assertion, not a probe/,
    );
  });
});

it("names span events of decisions as the agent records them", () => {
  expect(DECISION_EVENT).toBe(AGENT_DECISION_EVENT);
});
