import { ApiError, api } from "../api.js";
import { h, keyValueTable, notice, replace, table } from "../dom.js";
import { formatDateTimeMs, formatMs } from "../lib/format.js";
import { routeHash } from "../lib/route.js";
import { runRole } from "../lib/run-outcome.js";
import { formatOffset } from "../lib/run-timeline.js";
import { compareHash, outcomeBadge, runLink, traceLink } from "./common.js";
import { measurementTable } from "./measurements.js";
import { groundTruthCharts, telemetryCharts } from "./run-charts.js";
import { runTimeline } from "./run-timeline.js";

/**
 * @import { Context, View } from "../main.js"
 * @import { RunDetail } from "../../../collector/query/runs.js"
 */

/** A finished run is fetched again for this long, while its telemetry may still be arriving. */
const SETTLED_AFTER_MILLIS = 120_000;
const MAX_FAILING_REQUESTS = 50;

/**
 * @param {RunDetail} run
 * @param {number} nowMs
 */
function header(run, nowMs) {
  const durationMs = (run.endMs ?? nowMs) - run.startMs;
  return [
    h("h1", {}, h("span", { class: "run-title", text: run.title }), " ", outcomeBadge(run)),
    keyValueTable(
      [
        ["Experiment", h("span", { class: "mono", text: run.file })],
        ["Run", runRole(run)],
        ["Started", formatDateTimeMs(run.startMs)],
        ["Duration", `${formatMs(durationMs)}${run.endMs === null ? " so far" : ""}`],
        [
          "Assertions",
          `${run.assertions.filter((a) => a.valid === true).length} of ${run.assertions.length} held`,
        ],
        ["Run id", h("span", { class: "mono", text: run.runId })],
      ],
      "kv inline",
    ),
    run.reason !== null && h("p", { class: "reason", text: run.reason }),
    run.control !== null &&
      h(
        "p",
        { class: "control-note" },
        h("strong", { text: `Negative control: ${run.control.name}. ` }),
        run.control.description === null ? "" : h("span", { text: run.control.description }),
        h("br", {}),
        `Defenses off: ${run.control.disable.join(", ") || "none"}. It must fail: a pass would mean the experiment cannot tell the defense from its absence.`,
      ),
    run.description !== null && h("p", { class: "description", text: run.description }),
    run.related.length > 0 &&
      h(
        "div",
        { class: "related" },
        h("span", { class: "hint", text: "Same group: " }),
        ...run.related.map((other) =>
          h(
            "span",
            { class: "related-run", dataset: { runId: other.runId } },
            runLink(other, runRole(other)),
            " ",
            outcomeBadge(other),
            " ",
            h("a", { class: "compare-link", href: compareHash(run, other), text: "compare" }),
          ),
        ),
      ),
  ];
}

/** A fault's target or config as it was written, in JSON. */
const jsonText = (/** @type {unknown} */ value) =>
  value === null || value === undefined ? "–" : JSON.stringify(value);

/**
 * @param {RunDetail} run
 * @param {number} originMs
 */
function faultTable(run, originMs) {
  const at = (/** @type {number | null} */ ms) => (ms === null ? "–" : formatOffset(ms, originMs));
  return table(
    ["Id", "Fault", "Target", "Config", "Scheduled", "Injected", "Verified", "Healed", "Evidence"],
    run.faults.map((fault) =>
      h(
        "tr",
        { dataset: { fault: fault.id } },
        h("td", { text: fault.id }),
        h("td", { class: "mono", text: fault.fault }),
        h("td", { class: "mono json", text: jsonText(fault.target) }),
        h("td", { class: "mono json", text: jsonText(fault.config) }),
        h("td", { class: "num", text: formatOffset(fault.scheduledAtMs, 0) }),
        h("td", { class: "num", text: at(fault.injectedAtMs) }),
        h("td", { class: "num", text: at(fault.verifiedAtMs) }),
        h("td", { class: "num", text: at(fault.healedAtMs) }),
        h(
          "td",
          {},
          fault.verification !== null && h("div", { text: fault.verification }),
          fault.error !== null && h("div", { class: "bad", text: fault.error }),
        ),
      ),
    ),
  );
}

/**
 * @param {RunDetail} run
 * @param {number} originMs
 */
function failingRequests(run, originMs) {
  const shown = run.failingRequests.slice(0, MAX_FAILING_REQUESTS);
  return [
    table(
      ["At", "Status", "Latency", "Trace"],
      shown.map((request) =>
        h(
          "tr",
          {},
          h("td", { class: "num", text: formatOffset(request.timeMs, originMs) }),
          h("td", { class: "num bad", text: request.status === null ? "no answer" : String(request.status) }),
          h("td", { class: "num", text: formatMs(request.latencyMs) }),
          h(
            "td",
            {},
            request.traceId === null
              ? h("span", { class: "hint", text: "no trace" })
              : traceLink(request.traceId),
          ),
        ),
      ),
      "grid failing-requests",
    ),
    run.failingRequests.length > shown.length &&
      h("p", {
        class: "hint",
        text: `The first ${shown.length} of ${run.failingRequests.length} are listed.`,
      }),
  ];
}

/**
 * One experiment run: its phases and faults on a timeline, the load's own series and the collector's telemetry
 * for the run's window with the fault windows shaded, its assertions with measured values against their bars,
 * its faults' life cycles and the requests that failed, each linked to its trace. A running run refreshes live.
 * @param {Context} ctx
 * @param {string} runId
 * @returns {View}
 */
export function runView(ctx, runId) {
  const sync = `run-${runId}`;
  const groundTruth = groundTruthCharts(sync);
  const telemetry = telemetryCharts(sync, ctx.signal);
  const head = h("div", { class: "run-header" }, notice("loading", `Loading run ${runId}…`));
  const timeline = h("div", {});
  const body = h("div", { class: "run-body" });
  const el = h(
    "section",
    { class: "view run", dataset: { runId } },
    h("nav", { class: "subnav" }, h("a", { href: routeHash("runs"), text: "← All runs" })),
    head,
    body,
  );
  const sections = {
    timeline: h("div", { class: "panel" }, h("h2", { text: "Timeline" }), timeline),
    load: h("div", {}, h("h2", { text: "Load: what the requests themselves saw" }), groundTruth.el),
    telemetry: h("div", {}, h("h2", { text: "Telemetry in the run's window" }), telemetry.el),
    measurements: h("div", {}),
    faults: h("div", {}),
    failing: h("div", {}),
  };
  let settled = false;
  let shown = false;

  /**
   * @param {RunDetail} run
   * @param {number} nowMs
   */
  const render = (run, nowMs) => {
    const originMs = run.methodStartMs ?? run.startMs;
    el.dataset.status = run.status;
    replace(head, ...header(run, nowMs));
    replace(timeline, runTimeline(run, nowMs));
    if (!shown) {
      replace(body, ...Object.values(sections));
      shown = true;
    }
    groundTruth.update(run, nowMs, { originMs: null });
    const held = run.assertions.filter((a) => a.valid === true).length;
    replace(
      sections.measurements,
      h("h2", { text: `Assertions: ${held} of ${run.assertions.length} held` }),
      run.assertions.length === 0
        ? notice("empty", run.status === "running" ? "Assertions are judged when the method ends." : "None.")
        : measurementTable(run.assertions, originMs),
      run.steadyState.before.length > 0 && h("h2", { text: "Steady state before" }),
      run.steadyState.before.length > 0 && measurementTable(run.steadyState.before, originMs),
      run.steadyState.after.length > 0 && h("h2", { text: "Steady state after" }),
      run.steadyState.after.length > 0 && measurementTable(run.steadyState.after, originMs),
    );
    replace(
      sections.faults,
      h("h2", { text: "Faults" }),
      run.faults.length === 0 ? notice("empty", "This run injected no fault.") : faultTable(run, originMs),
    );
    replace(
      sections.failing,
      h("h2", { text: `Failing requests (${run.failingRequests.length})` }),
      ...(run.failingRequests.length === 0
        ? [notice("empty", "No request failed.")]
        : failingRequests(run, originMs)),
    );
  };

  return {
    el,
    async refresh() {
      if (settled) return;
      const nowMs = Date.now();
      let run;
      try {
        ({ run } = await api.run(runId, ctx.signal));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          replace(
            head,
            h("h1", { class: "mono", text: runId }),
            notice("empty", "No run with this id is stored."),
          );
          return;
        }
        throw error;
      }
      render(run, nowMs);
      await telemetry.update(run, nowMs);
      settled = run.endMs !== null && run.status !== "running" && nowMs - run.endMs > SETTLED_AFTER_MILLIS;
    },
    destroy() {
      groundTruth.destroy();
      telemetry.destroy();
    },
  };
}
