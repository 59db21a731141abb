import { h, svg } from "../dom.js";
import { sparklinePoints } from "../lib/chart-data.js";
import { serviceColor } from "../lib/colors.js";
import { routeHash } from "../lib/route.js";
import { runOutcome, validityOutcome } from "../lib/run-outcome.js";

/** @import { RunSummary } from "../../../collector/query/runs.js" */

/**
 * A small inline chart of one or more value rows over time.
 * @param {{ values: (number | null)[], color: string }[]} lines
 * @param {string} label what it shows, for screen readers and the tooltip
 */
export function sparkline(lines, label) {
  const width = 96;
  const height = 24;
  const max = Math.max(0, ...lines.flatMap((l) => l.values.filter((v) => v !== null)));
  return svg(
    "svg",
    {
      class: "sparkline",
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": label,
    },
    svg("title", {}, label),
    ...lines.map((l) =>
      svg("polyline", {
        points: sparklinePoints(l.values, width, height, max),
        fill: "none",
        stroke: l.color,
      }),
    ),
  );
}

/**
 * A link to a service's page, with its colour.
 * @param {string} name
 */
export function serviceLink(name) {
  return h(
    "a",
    { class: "service-link", href: routeHash("service", name) },
    h("span", { class: "swatch", style: { background: serviceColor(name) } }),
    name,
  );
}

/**
 * A link to a trace (and optionally one span in it), showing the start of its id.
 * @param {string} traceId
 * @param {string | null} [spanId]
 * @param {string} [text]
 */
export function traceLink(traceId, spanId, text) {
  const params = spanId ? { span: spanId } : undefined;
  return h("a", {
    class: "trace-link mono",
    href: routeHash("trace", traceId, params),
    text: text ?? traceId.slice(0, 12),
    title: spanId ? `trace ${traceId}, span ${spanId}` : `trace ${traceId}`,
  });
}

/**
 * @param {number} severityNumber
 * @param {string} severityText
 */
export function severityBadge(severityNumber, severityText) {
  const level =
    severityNumber >= 17 ? "error" : severityNumber >= 13 ? "warn" : severityNumber >= 9 ? "info" : "debug";
  return h("span", { class: `severity ${level}`, text: severityText || String(severityNumber) });
}

/**
 * A run's outcome: passed or failed for a case, "failed as expected" (good) for a negative control.
 * @param {Pick<RunSummary, "control" | "status" | "verdict">} run
 */
export function outcomeBadge(run) {
  const { label, tone } = runOutcome(run);
  return h("span", { class: `badge ${tone}`, text: label, dataset: { outcome: label } });
}

/** @param {boolean | "unknown"} valid */
export function validityBadge(valid) {
  const { label, tone } = validityOutcome(valid);
  return h("span", { class: `badge ${tone}`, text: label });
}

/**
 * A link to a run's page.
 * @param {Pick<RunSummary, "runId" | "title">} run
 * @param {string} [text]
 */
export function runLink(run, text) {
  return h("a", { class: "run-link", href: routeHash("run", run.runId), text: text ?? run.title });
}

/**
 * The address comparing two runs, a case before its control.
 * @param {Pick<RunSummary, "runId" | "control">} one
 * @param {Pick<RunSummary, "runId" | "control">} other
 */
export function compareHash(one, other) {
  const [a, b] = one.control !== null && other.control === null ? [other, one] : [one, other];
  return routeHash("compare", "", { a: a.runId, b: b.runId });
}
