import { h, table } from "../dom.js";
import { barScale, formatBar, formatQuantity } from "../lib/measurement.js";
import { pairByName } from "../lib/run-compare.js";
import { formatOffset } from "../lib/run-timeline.js";
import { traceLink, validityBadge } from "./common.js";

/** @import { Outcome } from "../../../collector/store/runs.js" */

const MAX_TRACE_LINKS = 5;

/** @param {Outcome} outcome */
export function measuredText(outcome) {
  return outcome.measured === null ? "not measured" : formatQuantity(outcome.measured, outcome.unit);
}

/**
 * The measured value on a small scale beside the range its bar allows: green band allowed, the tick is the value.
 * @param {Outcome} outcome
 */
export function meter(outcome) {
  const scale = barScale(outcome.measured, outcome.bar);
  if (scale === null) return h("span", { class: "hint", text: "–" });
  const { allowed } = scale;
  const inside = outcome.valid === true;
  return h(
    "div",
    {
      class: "meter",
      title: `scale ${formatQuantity(scale.from, outcome.unit)} to ${formatQuantity(scale.to, outcome.unit)}`,
      attrs: {
        role: "img",
        "aria-label": `measured ${measuredText(outcome)}, bar ${formatBar(outcome.bar, outcome.unit)}`,
      },
    },
    h("div", {
      class: `meter-allowed${allowed.openLeft ? " open-left" : ""}${allowed.openRight ? " open-right" : ""}`,
      style: { left: `${allowed.left}%`, width: `${allowed.width}%` },
    }),
    h("div", {
      class: `meter-value ${inside ? "good" : "bad"}`,
      style: { left: `${scale.marker}%` },
    }),
  );
}

/**
 * Why an outcome is what it is, and the traces of requests that broke the bar.
 * @param {Outcome} outcome
 */
function why(outcome) {
  const links = outcome.traceIds.slice(0, MAX_TRACE_LINKS).map((id) => traceLink(id));
  const more = outcome.traceIds.length - links.length;
  return h(
    "td",
    { class: "why" },
    outcome.reason !== null && h("div", { text: outcome.reason }),
    links.length > 0 &&
      h(
        "div",
        { class: "trace-links" },
        h("span", { class: "hint", text: "traces " }),
        ...links.flatMap((link) => [link, " "]),
        more > 0 && h("span", { class: "hint", text: `+${more} more` }),
      ),
  );
}

/**
 * @param {Outcome} outcome
 * @param {number} originMs
 */
function windowCell(outcome, originMs) {
  const range =
    outcome.window === null
      ? ""
      : `${formatOffset(outcome.window.startMs, originMs)} … ${formatOffset(outcome.window.endMs, originMs)}`;
  return h(
    "td",
    { class: "window" },
    h("div", { text: outcome.windowLabel || "–" }),
    range !== "" && h("div", { class: "hint", text: range }),
  );
}

/** @param {Outcome} outcome */
function nameCell(outcome) {
  return h(
    "td",
    { class: "name" },
    h("div", { class: "measurement-name", text: outcome.name }),
    outcome.description !== null && h("div", { class: "hint", text: outcome.description }),
  );
}

/**
 * Measurements with their measured values against their bars, a scale showing both, the verdict and why.
 * @param {readonly Outcome[]} outcomes
 * @param {number} originMs what window offsets count from (the method's start)
 */
export function measurementTable(outcomes, originMs) {
  return table(
    ["Name", "Kind", "Window", "Measured", "Bar", "", "Verdict", "Why"],
    outcomes.map((outcome) =>
      h(
        "tr",
        { class: `measurement ${outcome.valid === false ? "failed" : ""}`, dataset: { name: outcome.name } },
        nameCell(outcome),
        h("td", { class: "mono", text: outcome.kind }),
        windowCell(outcome, originMs),
        h("td", {
          class: `num measured ${outcome.valid === false ? "bad" : ""}`,
          text: measuredText(outcome),
        }),
        h("td", { class: "num bar", text: formatBar(outcome.bar, outcome.unit) }),
        h("td", { class: "meter-cell" }, meter(outcome)),
        h("td", {}, validityBadge(outcome.valid)),
        why(outcome),
      ),
    ),
    "grid measurements",
  );
}

/**
 * One side of a comparison row: the value, its scale and its verdict; a dash when the run has no such measurement.
 * @param {Outcome | null} outcome
 * @returns {HTMLTableCellElement[]}
 */
function side(outcome) {
  if (outcome === null)
    return [h("td", { class: "hint", text: "not in this run" }), h("td", {}), h("td", {})];
  return [
    h("td", { class: `num measured ${outcome.valid === false ? "bad" : ""}`, text: measuredText(outcome) }),
    h("td", { class: "meter-cell" }, meter(outcome)),
    h("td", {}, validityBadge(outcome.valid)),
  ];
}

/**
 * Two runs' measurements side by side, matched by name: the bar once, then each run's value and verdict.
 * @param {readonly Outcome[]} a
 * @param {readonly Outcome[]} b
 * @param {[string, string]} labels
 */
export function comparisonTable(a, b, labels) {
  const rows = pairByName(a, b).map((pair) => {
    const either = /** @type {Outcome} */ (pair.a ?? pair.b);
    return h(
      "tr",
      { class: "measurement", dataset: { name: pair.name } },
      nameCell(either),
      h("td", { class: "num bar", text: formatBar(either.bar, either.unit) }),
      ...side(pair.a),
      ...side(pair.b),
    );
  });
  return h(
    "table",
    { class: "grid measurements comparison" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { text: "Name" }),
        h("th", { text: "Bar" }),
        ...labels.map((label) => h("th", { text: label, class: "side", attrs: { colspan: "3" } })),
      ),
    ),
    h("tbody", {}, ...rows),
  );
}
