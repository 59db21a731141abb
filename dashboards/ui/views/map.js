import { api } from "../api.js";
import { h, notice, replace, svg, table } from "../dom.js";
import { serviceColor } from "../lib/colors.js";
import { formatMs, formatPercent, formatRate } from "../lib/format.js";
import { edgeKey, layeredLayout } from "../lib/graph-layout.js";
import { routeHash } from "../lib/route.js";
import { serviceLink } from "./common.js";

/** @import { Context, View } from "../main.js" */

const GEOMETRY = { nodeWidth: 176, nodeHeight: 56, layerGap: 210, rowGap: 36 };
const PAD = 24;

/**
 * The service graph of the range: who calls whom, with each edge's call rate, errors and latency. A node is a
 * link to its service's page.
 * @param {Context} ctx
 * @returns {View}
 */
export function mapView(ctx) {
  const body = h("div", {}, notice("loading", "Loading the service graph…"));
  const el = h("section", { class: "view map" }, h("h1", { text: "Service map" }), body);

  return {
    el,
    async refresh() {
      const [startSec, endSec] = ctx.range();
      const seconds = endSec - startSec;
      const graph = await api.dependencies(ctx.window(), ctx.signal);
      if (graph.nodes.length === 0) {
        replace(body, notice("empty", "No spans in this range, so no graph."));
        return;
      }
      const layout = layeredLayout(
        graph.nodes.map((n) => n.service),
        graph.edges,
        GEOMETRY,
      );
      const { nodeWidth: w, nodeHeight: nh } = GEOMETRY;
      const edges = graph.edges.map((e) => {
        const from = layout.nodes.get(e.parent);
        const to = layout.nodes.get(e.child);
        if (from === undefined || to === undefined) return null;
        let d;
        let labelX;
        let labelY;
        if (e.parent === e.child) {
          const x = from.x + w / 2;
          d = `M${x - 20},${from.y} C${x - 40},${from.y - 50} ${x + 40},${from.y - 50} ${x + 20},${from.y}`;
          labelX = x;
          labelY = from.y - 42;
        } else if (layout.backEdges.has(edgeKey(e))) {
          // Against the flow: loop below both nodes instead of crossing them.
          const x1 = from.x + w / 2;
          const x2 = to.x + w / 2;
          const bottom = Math.max(from.y, to.y) + nh + 50;
          d = `M${x1},${from.y + nh} C${x1},${bottom} ${x2},${bottom} ${x2},${to.y + nh}`;
          labelX = (x1 + x2) / 2;
          labelY = bottom - 8;
        } else {
          // Through the free slots kept for it in the layers it crosses (none between adjacent layers).
          const points = [{ x: from.x + w, y: from.y + nh / 2 }];
          for (const p of layout.waypoints.get(edgeKey(e)) ?? []) {
            points.push({ x: p.x, y: p.y + nh / 2 }, { x: p.x + w, y: p.y + nh / 2 });
          }
          points.push({ x: to.x - 4, y: to.y + nh / 2 });
          d = `M${points[0]?.x},${points[0]?.y}`;
          for (let i = 1; i < points.length; i += 2) {
            const a = /** @type {{ x: number, y: number }} */ (points[i - 1]);
            const b = /** @type {{ x: number, y: number }} */ (points[i]);
            const mid = (a.x + b.x) / 2;
            d += ` C${mid},${a.y} ${mid},${b.y} ${b.x},${b.y}`;
            const next = points[i + 1];
            if (next !== undefined && i + 1 < points.length - 1) d += ` L${next.x},${next.y}`;
          }
          const first = layout.waypoints.get(edgeKey(e))?.[0];
          const a = /** @type {{ x: number, y: number }} */ (points[0]);
          const b = /** @type {{ x: number, y: number }} */ (points[1]);
          labelX = first === undefined ? (a.x + b.x) / 2 : first.x + w / 2;
          labelY = first === undefined ? (a.y + b.y) / 2 - 6 : first.y + nh / 2 - 6;
        }
        const failing = e.errors > 0;
        const label = `${formatRate(e.calls / seconds)} · ${formatPercent(e.errors / e.calls)} err · p95 ${formatMs(e.p95Ms)}`;
        return svg(
          "g",
          {
            class: `edge ${e.kind} ${failing ? "failing" : ""}`,
            "data-parent": e.parent,
            "data-child": e.child,
          },
          svg(
            "title",
            {},
            `${e.parent} → ${e.child} (${e.kind}): ${e.calls} calls, ${e.errors} failed; p50 ${formatMs(e.p50Ms)}, p95 ${formatMs(e.p95Ms)}, p99 ${formatMs(e.p99Ms)}`,
          ),
          svg("path", { d, "marker-end": failing ? "url(#arrow-bad)" : "url(#arrow)" }),
          svg("text", { x: labelX, y: labelY, "text-anchor": "middle" }, label),
        );
      });
      const nodeStats = new Map(graph.nodes.map((n) => [n.service, n]));
      const nodes = [...layout.nodes.values()].map((node) => {
        const stats = nodeStats.get(node.id);
        const sub =
          stats === undefined || stats.calls === 0
            ? "no requests"
            : `${formatRate(stats.calls / seconds)} · ${formatPercent(stats.errors / stats.calls)} err`;
        return svg(
          "a",
          { href: routeHash("service", node.id), class: "node", "data-service": node.id },
          svg("title", {}, `${node.id}: open the service`),
          svg("rect", {
            x: node.x,
            y: node.y,
            width: w,
            height: nh,
            rx: 8,
            class: stats !== undefined && stats.errors > 0 ? "failing" : "",
          }),
          svg("rect", { x: node.x, y: node.y, width: 6, height: nh, rx: 3, fill: serviceColor(node.id) }),
          svg("text", { x: node.x + 16, y: node.y + 23, class: "name" }, node.id),
          svg("text", { x: node.x + 16, y: node.y + 42, class: "sub" }, sub),
        );
      });
      const arrow = (/** @type {string} */ id) =>
        svg(
          "marker",
          {
            id,
            viewBox: "0 0 10 10",
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: "auto-start-reverse",
          },
          svg("path", { d: "M0,0 L10,5 L0,10 z" }),
        );
      const width = layout.width + 2 * PAD;
      const above = graph.edges.some((e) => e.parent === e.child) ? 50 : 0;
      const below = layout.backEdges.size > 0 ? 60 : 0;
      const height = layout.height + 2 * PAD + above + below;
      const picture = svg(
        "svg",
        {
          class: "graph",
          viewBox: `${-PAD} ${-PAD - above} ${width} ${height}`,
          width,
          height,
          role: "img",
          "aria-label": "service dependency graph",
        },
        svg("defs", {}, arrow("arrow"), arrow("arrow-bad")),
        ...edges,
        ...nodes,
      );
      replace(
        body,
        h("div", { class: "graph-frame" }, picture),
        h(
          "p",
          { class: "hint" },
          "Solid edges are calls (RPC), dashed ones messages (a producer's span parenting or linked from a consumer's). Edges show calls per second, the share that failed and the callee's p95.",
        ),
        graph.edges.length === 0
          ? notice("empty", "No calls between services in this range.")
          : table(
              ["Caller", "Callee", "Kind", "Calls", "Rate", "Errors", "p50", "p95", "p99"],
              graph.edges.map((e) =>
                h(
                  "tr",
                  {},
                  h("td", {}, serviceLink(e.parent)),
                  h("td", {}, serviceLink(e.child)),
                  h("td", { text: e.kind }),
                  h("td", { class: "num", text: String(e.calls) }),
                  h("td", { class: "num", text: formatRate(e.calls / seconds) }),
                  h("td", {
                    class: `num ${e.errors > 0 ? "bad" : ""}`,
                    text: formatPercent(e.errors / e.calls),
                  }),
                  h("td", { class: "num", text: formatMs(e.p50Ms) }),
                  h("td", { class: "num", text: formatMs(e.p95Ms) }),
                  h("td", { class: "num", text: formatMs(e.p99Ms) }),
                ),
              ),
            ),
      );
    },
  };
}
