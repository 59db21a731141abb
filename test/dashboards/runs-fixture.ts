import { openRunStore } from "../../collector/store/runs.js";
import { KNOWN } from "./fixtures.js";

/**
 * A run whose every free-text field holds markup, beside `storeFixtureRuns`' runs: the dashboards must show it as
 * text. Its failing request and its failed assertion point at the fixture shop's checkout trace, so the links
 * from a run to a trace lead somewhere stored.
 */
export const MARKUP_RUN = {
  runId: "markup-run",
  markup: KNOWN.xss,
  assertionName: `errors ${KNOWN.xss}`,
  traceId: KNOWN.checkoutTraceId,
} as const;

export function storeMarkupRun(dbPath: string, nowMs: number): void {
  const store = openRunStore(dbPath);
  try {
    const startMs = nowMs - 10 * 60_000;
    const methodStartMs = startMs + 1000;
    const methodEndMs = methodStartMs + 20_000;
    const endMs = methodEndMs + 1000;
    const markup = MARKUP_RUN.markup;
    const fault = {
      id: `kill ${markup}`,
      fault: "kill",
      target: { role: markup },
      config: { note: markup },
      scheduledAtMs: 5000,
      injectedAtMs: methodStartMs + 5000,
      verifiedAtMs: methodStartMs + 5100,
      healedAtMs: methodStartMs + 12_000,
      verification: `observed ${markup}`,
      error: null,
    };
    store.start({
      runId: MARKUP_RUN.runId,
      groupId: MARKUP_RUN.runId,
      title: markup,
      file: `fixtures/experiments/${markup}.yaml`,
      description: `<script>alert(2)</script>`,
      control: { name: markup, description: markup, disable: [markup] },
      startMs,
      faults: [{ ...fault, injectedAtMs: null, verifiedAtMs: null, healedAtMs: null, verification: null }],
    });
    store.phaseStarted(MARKUP_RUN.runId, "method", methodStartMs);
    store.phaseEnded(MARKUP_RUN.runId, "method", methodEndMs);
    store.finish({
      runId: MARKUP_RUN.runId,
      status: "failed",
      verdict: "failed-as-expected",
      reason: `assertions failed: ${markup}`,
      endMs,
      methodStartMs,
      methodEndMs,
      faults: [fault],
      steadyState: { before: [], after: [] },
      assertions: [
        {
          name: MARKUP_RUN.assertionName,
          kind: "error_rate",
          description: markup,
          windowLabel: `during ${markup}`,
          window: { startMs: methodStartMs + 5000, endMs: methodStartMs + 12_000 },
          valid: false,
          measured: 0.5,
          unit: "ratio",
          bar: { max: 0 },
          reason: markup,
          traceIds: [MARKUP_RUN.traceId],
        },
      ],
      series: [
        {
          name: markup,
          unit: "req/s",
          points: Array.from({ length: 20 }, (_, s) => ({ t: methodStartMs + s * 1000, v: 10 })),
        },
      ],
      failingRequests: [
        { timeMs: methodStartMs + 6000, status: 500, latencyMs: 3.5, traceId: MARKUP_RUN.traceId },
      ],
    });
  } finally {
    store.close();
  }
}
