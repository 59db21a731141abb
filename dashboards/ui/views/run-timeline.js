import { h } from "../dom.js";
import { formatOffset, timelineLayout } from "../lib/run-timeline.js";

/** @import { RunDetail } from "../../../collector/query/runs.js" */

const PHASE_LABELS = /** @type {Record<string, string>} */ ({
  "steady-state-before": "steady state before",
  method: "method",
  "steady-state-after": "steady state after",
});

/**
 * @param {number} left percent
 * @param {number} width percent
 */
const placed = (left, width) => ({ left: `${left}%`, width: `${width}%` });

/**
 * A run on one time axis: its phases in a row, then one row per fault with the window from injection to heal,
 * a tick where it was scheduled and one where its effect was verified. Offsets count from the method's start.
 * @param {RunDetail} run
 * @param {number} nowMs
 */
export function runTimeline(run, nowMs) {
  const layout = timelineLayout(run, nowMs);
  const offset = (/** @type {number | null} */ ms) => (ms === null ? "–" : formatOffset(ms, layout.originMs));
  /**
   * @param {string | Node} label
   * @param {...(Node | false)} items
   */
  const row = (label, ...items) =>
    h(
      "div",
      { class: "tl-row" },
      h("div", { class: "tl-label" }, label),
      h("div", { class: "tl-track" }, ...items),
    );

  return h(
    "div",
    { class: "run-timeline", attrs: { role: "figure", "aria-label": "Phases and fault windows" } },
    row(
      "",
      ...layout.ticks.map((tick) =>
        h("span", { class: "tl-tick", text: tick.label, style: { left: `${tick.left}%` } }),
      ),
    ),
    row(
      "Phases",
      ...layout.phases.map((phase) =>
        h(
          "div",
          {
            class: `tl-phase ${phase.name}${phase.open ? " open" : ""}`,
            dataset: { phase: phase.name },
            title: `${PHASE_LABELS[phase.name] ?? phase.name}: ${offset(phase.startMs)} to ${phase.open ? "now" : offset(phase.endMs)}`,
            style: placed(phase.left, phase.width),
          },
          h("span", { class: "tl-phase-name", text: PHASE_LABELS[phase.name] ?? phase.name }),
        ),
      ),
    ),
    ...layout.faults.map((fault, i) => {
      const source = run.faults[i];
      return row(
        h(
          "span",
          { class: "tl-fault-name", title: `${fault.id} (${fault.fault})` },
          fault.id,
          h("small", { text: fault.fault }),
        ),
        fault.scheduled !== null &&
          h("div", {
            class: "tl-scheduled",
            title: `scheduled at ${formatOffset(source?.scheduledAtMs ?? 0, 0)}`,
            style: { left: `${fault.scheduled}%` },
          }),
        fault.window !== null &&
          h("div", {
            class: `tl-fault${fault.window.open ? " open" : ""}`,
            dataset: { fault: fault.id },
            title: `${fault.id}: injected ${offset(fault.window.startMs)}, ${
              fault.window.open ? "not healed" : `healed ${offset(fault.window.endMs)}`
            }`,
            style: placed(fault.window.left, fault.window.width),
          }),
        fault.verified !== null &&
          h("div", {
            class: "tl-verified",
            title: `verified at ${offset(source?.verifiedAtMs ?? null)}: ${source?.verification ?? ""}`,
            style: { left: `${fault.verified}%` },
          }),
        fault.window === null &&
          h("span", {
            class: "tl-note bad",
            text: source?.error ?? "never injected",
            style: { left: `${fault.scheduled ?? 0}%` },
          }),
      );
    }),
  );
}
