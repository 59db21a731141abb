import { h, svg } from "../dom.js";
import { sparklinePoints } from "../lib/chart-data.js";
import { serviceColor } from "../lib/colors.js";
import { routeHash } from "../lib/route.js";

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
