import { api } from "../api.js";
import { timeChart } from "../chart.js";
import { h, keyValueTable, notice, replace, table } from "../dom.js";
import { bucketColumns } from "../lib/chart-data.js";
import {
  formatDateTimeMs,
  formatDuration,
  formatMs,
  formatPercent,
  formatRate,
  formatTimestampNs,
  nsToMs,
} from "../lib/format.js";
import { routeHash } from "../lib/route.js";
import { serviceLink, traceLink } from "./common.js";

/**
 * @import { Context, View } from "../main.js"
 * @import { DependencyEdge } from "../../../collector/query/dependencies.js"
 */

/**
 * One service: its RED charts, who calls it and whom it calls, and its latest traces.
 * @param {Context} ctx
 * @param {string} name
 * @returns {View}
 */
export function serviceView(ctx, name) {
  const sync = `service-${name}`;
  const charts = {
    rate: timeChart({
      title: "Requests per second",
      series: [{ label: "rate", color: "#4e79a7" }],
      format: (v) => formatRate(v),
      sync,
    }),
    errors: timeChart({
      title: "Error ratio",
      series: [{ label: "errors", color: "#e15759" }],
      format: (v) => formatPercent(v),
      sync,
    }),
    latency: timeChart({
      title: "Latency",
      series: [
        { label: "p50", color: "#59a14f" },
        { label: "p95", color: "#f28e2b" },
        { label: "p99", color: "#e15759" },
      ],
      format: (v) => formatMs(v),
      sync,
    }),
  };
  const meta = h("div", { class: "meta" });
  const dependencies = h("div", {});
  const traces = h("div", {}, notice("loading", "Loading traces…"));
  const links = h(
    "nav",
    { class: "subnav" },
    h("a", { href: routeHash("traces", "", { service: name }), text: "Traces" }),
    h("a", { href: routeHash("traces", "", { service: name, status: "error" }), text: "Failed traces" }),
    h("a", { href: routeHash("logs", "", { service: name }), text: "Logs" }),
    h("a", { href: routeHash("metrics", "", { service: name }), text: "Metrics" }),
    h("a", { href: routeHash("map"), text: "Service map" }),
  );
  const el = h(
    "section",
    { class: "view service", dataset: { service: name } },
    h("h1", {}, serviceLink(name)),
    links,
    meta,
    h("div", { class: "charts three" }, charts.rate.el, charts.errors.el, charts.latency.el),
    dependencies,
    h("h2", { text: "Latest traces" }),
    traces,
  );

  /**
   * @param {string} title
   * @param {DependencyEdge[]} edges
   * @param {"parent" | "child"} other
   * @param {number} seconds
   */
  const edgeTable = (title, edges, other, seconds) =>
    h(
      "div",
      {},
      h("h2", { text: title }),
      edges.length === 0
        ? notice("empty", "None in this range.")
        : table(
            ["Service", "Kind", "Calls", "Rate", "Errors", "p50", "p95", "p99"],
            edges.map((e) =>
              h(
                "tr",
                {},
                h("td", {}, serviceLink(e[other])),
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

  return {
    el,
    async refresh() {
      const window = ctx.window();
      const range = ctx.range();
      const [services, red, graph, recent] = await Promise.all([
        api.services(window, ctx.signal),
        api.red({ service: name, ...window }, ctx.signal),
        api.dependencies(window, ctx.signal),
        api.traces(new URLSearchParams({ service: name, limit: "15", ...window }), ctx.signal),
      ]);
      const summary = services.services.find((s) => s.name === name);
      replace(
        meta,
        summary === undefined
          ? notice("empty", `No telemetry from ${name} is stored.`)
          : keyValueTable([
              ["Instances", summary.instances.join(", ") || "–"],
              ["Spans in range", `${summary.spanCount} (${summary.errorCount} failed)`],
              [
                "First seen",
                summary.firstSeenNs === null ? "–" : formatTimestampNs(BigInt(summary.firstSeenNs)),
              ],
              [
                "Last seen",
                summary.lastSeenNs === null ? "–" : formatTimestampNs(BigInt(summary.lastSeenNs)),
              ],
            ]),
      );
      charts.rate.setData(bucketColumns(red.buckets, ["rate"]), range);
      charts.errors.setData(bucketColumns(red.buckets, ["errorRatio"]), range);
      charts.latency.setData(bucketColumns(red.buckets, ["p50Ms", "p95Ms", "p99Ms"]), range);
      const seconds = range[1] - range[0];
      replace(
        dependencies,
        edgeTable(
          "Called by",
          graph.edges.filter((e) => e.child === name),
          "parent",
          seconds,
        ),
        edgeTable(
          "Calls",
          graph.edges.filter((e) => e.parent === name),
          "child",
          seconds,
        ),
      );
      replace(
        traces,
        recent.traces.length === 0
          ? notice("empty", "No traces in this range.")
          : table(
              ["Start", "Trace", "Root", "Duration", "Spans", "Errors"],
              recent.traces.map((t) =>
                h(
                  "tr",
                  {},
                  h("td", { text: formatDateTimeMs(nsToMs(t.startNs)) }),
                  h("td", {}, traceLink(t.traceId)),
                  h("td", { text: `${t.rootService}: ${t.rootName}` }),
                  h("td", { class: "num", text: formatDuration(BigInt(t.durationNs)) }),
                  h("td", { class: "num", text: String(t.spanCount) }),
                  h("td", { class: `num ${t.errorCount > 0 ? "bad" : ""}`, text: String(t.errorCount) }),
                ),
              ),
            ),
      );
    },
    destroy() {
      for (const chart of Object.values(charts)) chart.destroy();
    },
  };
}
