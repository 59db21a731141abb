import { api } from "../api.js";
import { h, notice, replace, table } from "../dom.js";
import { formatMs, formatNumber, formatPercent, formatRate } from "../lib/format.js";
import { serviceLink, sparkline } from "./common.js";

/**
 * @import { Context, View } from "../main.js"
 * @import { RedBucket } from "../../../collector/query/red.js"
 */

const LATENCY_COLORS = ["#59a14f", "#f28e2b", "#e15759"];

/**
 * Every service with its RED figures over the range: rate and error ratio of the whole range, latency
 * percentiles of the latest step that had requests, each with a sparkline of its steps.
 * @param {Context} ctx
 * @returns {View}
 */
export function overviewView(ctx) {
  const body = h("div", {}, notice("loading", "Loading services…"));
  const el = h("section", { class: "view overview" }, h("h1", { text: "Services" }), body);

  return {
    el,
    async refresh() {
      const window = ctx.window();
      const [startSec, endSec] = ctx.range();
      const { services } = await api.services(window, ctx.signal);
      if (services.length === 0) {
        replace(body, notice("empty", "No service has sent telemetry yet."));
        return;
      }
      const reds = await Promise.all(
        services.map((s) =>
          s.signals.traces ? api.red({ service: s.name, ...window }, ctx.signal) : undefined,
        ),
      );
      const rows = services.map((service, i) => {
        const buckets = reds[i]?.buckets ?? [];
        const requests = buckets.reduce((n, b) => n + b.requests, 0);
        const errors = buckets.reduce((n, b) => n + b.errors, 0);
        const latest = [...buckets].reverse().find((b) => b.requests > 0);
        const column = (/** @type {(b: RedBucket) => number | null} */ pick) => buckets.map(pick);
        const noTraffic = buckets.length === 0 || requests === 0;
        return h(
          "tr",
          { dataset: { service: service.name } },
          h("td", {}, serviceLink(service.name)),
          h("td", { class: "num", text: String(service.instances.length) }),
          h("td", { class: "num", text: formatNumber(requests) }),
          h(
            "td",
            { class: "num spark" },
            h("span", { text: formatRate(requests / (endSec - startSec)) }),
            !noTraffic &&
              sparkline([{ values: column((b) => b.rate), color: "#4e79a7" }], "requests per second"),
          ),
          h(
            "td",
            { class: `num spark ${errors > 0 ? "bad" : ""}` },
            h("span", { text: requests === 0 ? "–" : formatPercent(errors / requests) }),
            !noTraffic &&
              sparkline([{ values: column((b) => b.errorRatio), color: "#e15759" }], "error ratio"),
          ),
          h("td", { class: "num", text: formatMs(latest?.p50Ms) }),
          h("td", { class: "num", text: formatMs(latest?.p95Ms) }),
          h(
            "td",
            { class: "num spark" },
            h("span", { text: formatMs(latest?.p99Ms) }),
            !noTraffic &&
              sparkline(
                [
                  { values: column((b) => b.p50Ms), color: LATENCY_COLORS[0] ?? "" },
                  { values: column((b) => b.p95Ms), color: LATENCY_COLORS[1] ?? "" },
                  { values: column((b) => b.p99Ms), color: LATENCY_COLORS[2] ?? "" },
                ],
                "latency p50, p95, p99",
              ),
          ),
          h(
            "td",
            { class: "signals" },
            .../** @type {const} */ (["traces", "metrics", "logs"]).map((signal) =>
              h("span", { class: service.signals[signal] ? "on" : "off", text: signal, title: signal }),
            ),
          ),
        );
      });
      const grid = table(
        ["Service", "Instances", "Requests", "Rate", "Errors", "p50", "p95", "p99", "Signals"],
        rows,
        "grid services",
      );
      const head = grid.tHead?.rows[0];
      if (head !== undefined) {
        head.cells[3]?.setAttribute("title", "Requests per second over the range");
        head.cells[4]?.setAttribute("title", "Failed requests over the range");
        for (const i of [5, 6, 7]) {
          head.cells[i]?.setAttribute("title", "Latency percentile of the latest step that had requests");
        }
      }
      replace(
        body,
        grid,
        h("p", {
          class: "hint",
          text: "Requests are entry spans (SERVER and CONSUMER). Rate and errors cover the range; percentiles are those of the latest step with requests.",
        }),
      );
    },
  };
}
