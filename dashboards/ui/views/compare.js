import { ApiError, api } from "../api.js";
import { h, notice, replace } from "../dom.js";
import { formatDateTimeMs } from "../lib/format.js";
import { routeHash } from "../lib/route.js";
import { runRole } from "../lib/run-outcome.js";
import { outcomeBadge, runLink } from "./common.js";
import { comparisonTable } from "./measurements.js";
import { groundTruthCharts, seriesByUnit } from "./run-charts.js";
import { runTimeline } from "./run-timeline.js";

/**
 * @import { Context, View } from "../main.js"
 * @import { RunDetail } from "../../../collector/query/runs.js"
 */

const SETTLED_AFTER_MILLIS = 120_000;

/**
 * @param {string} runId
 * @param {AbortSignal} signal
 * @returns {Promise<RunDetail | null>}
 */
async function fetchRun(runId, signal) {
  try {
    return (await api.run(runId, signal)).run;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/**
 * The highest value of each unit over both runs, so that their charts share a y scale.
 * @param {RunDetail[]} runs
 */
function sharedTops(runs) {
  /** @type {Map<string, number>} */
  const tops = new Map();
  for (const run of runs) {
    for (const [unit, series] of seriesByUnit(run)) {
      const top = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.v)).filter(Number.isFinite));
      tops.set(unit, Math.max(tops.get(unit) ?? 0, top));
    }
  }
  return tops;
}

/**
 * @param {RunDetail} run
 */
function card(run) {
  return h(
    "div",
    { class: "run-header compact", dataset: { runId: run.runId } },
    h("h2", {}, runLink(run), " ", outcomeBadge(run)),
    h("div", { class: "role", text: `${runRole(run)} · started ${formatDateTimeMs(run.startMs)}` }),
    run.control !== null &&
      h("div", { class: "hint", text: `Defenses off: ${run.control.disable.join(", ") || "none"}` }),
    run.reason !== null && h("p", { class: "reason", text: run.reason }),
  );
}

/**
 * Two runs side by side, typically a case and its negative control: each one's timeline and load charts on a
 * common axis (seconds from the method's start) and a common y scale, then their measurements matched by name.
 * @param {Context} ctx
 * @param {URLSearchParams} params
 * @returns {View}
 */
export function compareView(ctx, params) {
  const ids = /** @type {const} */ ([params.get("a") ?? "", params.get("b") ?? ""]);
  const charts = [groundTruthCharts("compare"), groundTruthCharts("compare")];
  const cards = [h("div", { class: "compare-card" }), h("div", { class: "compare-card" })];
  const timelines = [h("div", { class: "panel" }), h("div", { class: "panel" })];
  const tables = h("div", {});
  const body = h("div", {}, notice("loading", "Loading both runs…"));
  const el = h(
    "section",
    { class: "view compare" },
    h("nav", { class: "subnav" }, h("a", { href: routeHash("runs"), text: "← All runs" })),
    h("h1", { text: "Compare runs" }),
    body,
  );
  // Rows of pairs, so that each part of A sits level with the same part of B whatever their heights.
  const pairs = [cards, timelines, charts.map((c) => c.el)].map((row) =>
    h(
      "div",
      { class: "compare-row" },
      ...row.map((part, i) => {
        part.dataset.side = i === 0 ? "a" : "b";
        return part;
      }),
    ),
  );
  let settled = false;
  let shown = false;

  return {
    el,
    async refresh() {
      if (settled) return;
      if (ids[0] === "" || ids[1] === "") {
        replace(body, notice("error", "Comparing needs two runs: #/compare?a=<runId>&b=<runId>."));
        return;
      }
      const nowMs = Date.now();
      const runs = await Promise.all(ids.map((id) => fetchRun(id, ctx.signal)));
      const missing = ids.filter((_id, i) => runs[i] === null);
      if (missing.length > 0) {
        replace(body, notice("empty", `No run with the id ${missing.join(" or ")} is stored.`));
        return;
      }
      const [a, b] = /** @type {[RunDetail, RunDetail]} */ (runs);
      if (!shown) {
        replace(body, ...pairs, tables);
        shown = true;
      }
      const tops = sharedTops([a, b]);
      const origin = (/** @type {RunDetail} */ run) => run.methodStartMs ?? run.startMs;
      const offsets = [a, b].flatMap((run) => [
        (run.startMs - origin(run)) / 1000,
        (Math.max(run.endMs ?? nowMs, run.startMs + 1000) - origin(run)) / 1000,
      ]);
      /** @type {[number, number]} */
      const range = [Math.min(...offsets), Math.max(...offsets)];
      [a, b].forEach((run, i) => {
        replace(/** @type {HTMLElement} */ (cards[i]), card(run));
        replace(/** @type {HTMLElement} */ (timelines[i]), runTimeline(run, nowMs));
        charts[i]?.update(run, nowMs, { originMs: origin(run), range }, tops);
      });
      const labels = /** @type {[string, string]} */ (
        [a, b].map((run) => `${runRole(run)} · ${formatDateTimeMs(run.startMs).slice(6)}`)
      );
      replace(
        tables,
        h("h2", { text: "Assertions" }),
        comparisonTable(a.assertions, b.assertions, labels),
        (a.steadyState.before.length > 0 || b.steadyState.before.length > 0) &&
          h("h2", { text: "Steady state before" }),
        (a.steadyState.before.length > 0 || b.steadyState.before.length > 0) &&
          comparisonTable(a.steadyState.before, b.steadyState.before, labels),
        (a.steadyState.after.length > 0 || b.steadyState.after.length > 0) &&
          h("h2", { text: "Steady state after" }),
        (a.steadyState.after.length > 0 || b.steadyState.after.length > 0) &&
          comparisonTable(a.steadyState.after, b.steadyState.after, labels),
        h(
          "p",
          {},
          h("a", { href: routeHash("compare", "", { a: b.runId, b: a.runId }), text: "Swap sides" }),
        ),
      );
      settled = [a, b].every(
        (run) => run.endMs !== null && run.status !== "running" && nowMs - run.endMs > SETTLED_AFTER_MILLIS,
      );
    },
    destroy() {
      for (const chart of charts) chart.destroy();
    },
  };
}
