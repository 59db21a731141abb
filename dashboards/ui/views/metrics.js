import { ApiError, api } from "../api.js";
import { timeChart } from "../chart.js";
import { field, h, notice, replace, select, table } from "../dom.js";
import { alignPoints } from "../lib/chart-data.js";
import { seriesColor } from "../lib/colors.js";
import { formatMs, formatNumber } from "../lib/format.js";
import { FN_LABELS, functionsFor, seriesLabel } from "../lib/metric-fns.js";
import { prefixedParams } from "../lib/query-params.js";
import { routeHash } from "../lib/route.js";

/**
 * @import { Context, View } from "../main.js"
 * @import { SeriesSummary } from "../../../collector/query/metrics.js"
 * @import { TimeChart } from "../chart.js"
 */

const TIME_UNITS = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000 };

/**
 * How a metric's values read: durations for time units (unless counted per second), plain numbers otherwise.
 * @param {SeriesSummary} series
 * @param {string} fn
 * @returns {(value: number) => string}
 */
function valueFormat(series, fn) {
  const msPerUnit = TIME_UNITS[/** @type {keyof typeof TIME_UNITS} */ (series.unit)];
  const counts =
    series.type === "histogram" || series.type === "exponential_histogram" || series.type === "summary";
  const measuresTime =
    msPerUnit !== undefined && (fn === "quantile" || (!counts && fn !== "rate" && fn !== "increase"));
  if (measuresTime) return (v) => formatMs(v * msPerUnit);
  if (fn === "rate") return (v) => `${formatNumber(v)}/s`;
  return (v) => formatNumber(v);
}

/**
 * The metrics explorer: pick a metric, filter its series by label, reduce them with one of the API's functions
 * and chart the result over the range.
 * @param {Context} ctx
 * @param {URLSearchParams} params
 * @returns {View}
 */
export function metricsView(ctx, params) {
  const name = params.get("name") ?? "";
  const searchBox = h("input", {
    attrs: { type: "search", placeholder: "Find a metric", "aria-label": "Find a metric" },
  });
  const list = h("ul", { class: "metric-list" });
  const panel = h("div", { class: "metric-panel" });
  const el = h(
    "section",
    { class: "view metrics" },
    h("h1", { text: "Metrics" }),
    h("div", { class: "split" }, h("aside", { class: "metric-side" }, searchBox, list), panel),
  );
  /** @type {string} */
  let listedNames = "";
  /** @type {TimeChart | undefined} */
  let chart;
  let chartKey = "";
  const chartBox = h("div", {});
  const seriesTable = h("div", {});
  let controlsBuilt = false;

  /** @param {Record<string, string>} changes */
  const go = (changes) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === "") next.delete(k);
      else next.set(k, v);
    }
    ctx.navigate(routeHash("metrics", "", next));
  };

  searchBox.addEventListener("input", () => {
    const needle = searchBox.value.trim().toLowerCase();
    for (const item of list.children) {
      if (item instanceof HTMLElement)
        item.hidden = !(item.dataset.name ?? "").toLowerCase().includes(needle);
    }
  });

  /**
   * @param {SeriesSummary[]} all
   * @param {string} scope a service the list is limited to, or ""
   */
  const renderList = (all, scope) => {
    /** @type {Map<string, SeriesSummary[]>} */
    const byName = new Map();
    for (const s of all) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    const names = [...byName.keys()].sort();
    const key = names.join("\n");
    if (key === listedNames) return;
    listedNames = key;
    replace(
      list,
      ...names.map((n) => {
        const first = /** @type {SeriesSummary} */ (byName.get(n)?.[0]);
        const count = byName.get(n)?.length ?? 0;
        return h(
          "li",
          { dataset: { name: n }, class: n === name ? "active" : "" },
          h(
            "a",
            { href: routeHash("metrics", "", scope === "" ? { name: n } : { name: n, service: scope }) },
            h("span", { class: "metric-name", text: n }),
            h("span", {
              class: "hint",
              text: `${first.type}${first.unit === "" ? "" : ` · ${first.unit}`} · ${count} series`,
            }),
          ),
        );
      }),
    );
    searchBox.dispatchEvent(new Event("input"));
  };

  /** @param {SeriesSummary[]} series */
  const buildControls = (series) => {
    const first = /** @type {SeriesSummary} */ (series[0]);
    const fns = functionsFor(first);
    const fn = params.get("fn") ?? fns[0] ?? "raw";
    const services = [...new Set(series.map((s) => s.service))].sort();
    const labelValues = new Map();
    for (const s of series) {
      for (const [k, v] of Object.entries(s.labels)) {
        const text = typeof v === "string" ? v : JSON.stringify(v);
        labelValues.set(k, new Set([...(labelValues.get(k) ?? []), text]));
      }
    }
    const chosenLabels = prefixedParams(params, "labels.");
    const by = new Set((params.get("by") ?? "").split(",").filter(Boolean));
    const byKeys = [...new Set([...labelValues.keys(), "service.name", "service.instance.id"])].sort();
    const fnSelect = select(
      "fn",
      fns.map((f) => [f, FN_LABELS[f]]),
      fn,
      {
        on: {
          change: () =>
            go({ fn: fnSelect.value, q: fnSelect.value === "quantile" ? (params.get("q") ?? "0.95") : "" }),
        },
      },
    );
    const quantile = h("input", {
      attrs: {
        name: "q",
        type: "number",
        min: "0",
        max: "1",
        step: "0.01",
        value: params.get("q") ?? "0.95",
      },
      on: { change: () => go({ q: quantile.value }) },
    });
    const step = h("input", {
      attrs: { name: "step", type: "text", placeholder: "auto", value: params.get("step") ?? "", size: "6" },
      on: { change: () => go({ step: step.value.trim() }) },
    });
    const serviceSelect = select(
      "service",
      [["", "any"], ...services.map((s) => /** @type {[string, string]} */ ([s, s]))],
      params.get("service") ?? "",
      {
        on: { change: () => go({ service: serviceSelect.value }) },
      },
    );
    const labelControls = [...labelValues.keys()].sort().map((key) => {
      const values = [...labelValues.get(key)].sort();
      const control = select(
        `labels.${key}`,
        [["", "any"], ...values.map((v) => /** @type {[string, string]} */ ([v, v]))],
        chosenLabels[key] ?? "",
        {
          on: { change: () => go({ [`labels.${key}`]: control.value }) },
        },
      );
      return field(key, control);
    });
    const byControls = byKeys.map((key) => {
      const box = h("input", { attrs: { type: "checkbox", value: key } });
      box.checked = by.has(key);
      box.addEventListener("change", () => {
        if (box.checked) by.add(key);
        else by.delete(key);
        go({ by: [...by].join(",") });
      });
      return h("label", { class: "check" }, box, key);
    });
    return h(
      "div",
      { class: "metric-controls" },
      h(
        "div",
        { class: "filters" },
        field("Function", fnSelect),
        fn === "quantile" && field("Quantile", quantile),
        field("Step", step),
        field("Service", serviceSelect),
        ...labelControls,
      ),
      h("div", { class: "by" }, h("span", { class: "by-title", text: "Group by" }), ...byControls),
    );
  };

  return {
    el,
    async refresh() {
      const { series: all } = await api.metrics({}, ctx.signal);
      const scope = params.get("service") ?? "";
      renderList(scope === "" ? all : all.filter((s) => s.service === scope), scope);
      if (name === "") {
        replace(panel, notice("empty", all.length === 0 ? "No metric is stored yet." : "Choose a metric."));
        return;
      }
      const series = all.filter((s) => s.name === name);
      if (series.length === 0) {
        replace(panel, notice("empty", `No series of ${name} is stored.`));
        return;
      }
      const first = /** @type {SeriesSummary} */ (series[0]);
      const fn = params.get("fn") ?? functionsFor(first)[0] ?? "raw";
      if (!controlsBuilt) {
        controlsBuilt = true;
        replace(
          panel,
          h("h2", { class: "mono", text: name }),
          h("p", {
            class: "hint",
            text: [
              first.type,
              first.monotonic ? "monotonic" : "",
              first.temporality,
              first.unit,
              first.description,
            ]
              .filter(Boolean)
              .join(" · "),
          }),
          buildControls(series),
          chartBox,
          seriesTable,
        );
      }
      const query = new URLSearchParams({ name, fn, ...ctx.window() });
      for (const key of ["service", "step", "by"]) {
        const v = params.get(key);
        if (v) query.set(key, v);
      }
      if (fn === "quantile") query.set("q", params.get("q") ?? "0.95");
      for (const [k, v] of Object.entries(prefixedParams(params, "labels.")))
        if (v !== "") query.set(`labels.${k}`, v);
      let result;
      try {
        result = await api.metricQuery(query, ctx.signal);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 400) throw error;
        chart?.destroy();
        chart = undefined;
        replace(chartBox, notice("error", error.message));
        replace(seriesTable);
        return;
      }
      const labels = result.series.map((s) => seriesLabel(name, s.labels));
      const key = labels.join("\n");
      if (chart === undefined || key !== chartKey) {
        chart?.destroy();
        chartKey = key;
        chart = timeChart({
          title: `${fn === "quantile" ? `p${Math.round(Number(query.get("q")) * 1000) / 10}` : fn} of ${name}`,
          series: labels.map((label, i) => ({ label, color: seriesColor(i) })),
          format: valueFormat(first, fn),
          height: 260,
        });
        replace(chartBox, chart.el);
      }
      chart.setData(alignPoints(result.series), ctx.range());
      const format = valueFormat(first, fn);
      replace(
        seriesTable,
        result.series.length === 0
          ? notice("empty", "No series matches these labels.")
          : table(
              ["Series", "Points", "Last", "Min", "Max"],
              result.series.map((s, i) => {
                const values = s.points.map((p) => p.v).filter((v) => Number.isFinite(v));
                const last = s.points.at(-1)?.v;
                return h(
                  "tr",
                  {},
                  h(
                    "td",
                    {},
                    h("span", { class: "swatch", style: { background: seriesColor(i) } }),
                    labels[i] ?? "",
                  ),
                  h("td", { class: "num", text: String(s.points.length) }),
                  h("td", { class: "num", text: last === undefined ? "–" : format(last) }),
                  h("td", { class: "num", text: values.length === 0 ? "–" : format(Math.min(...values)) }),
                  h("td", { class: "num", text: values.length === 0 ? "–" : format(Math.max(...values)) }),
                );
              }),
            ),
      );
    },
    destroy() {
      chart?.destroy();
    },
  };
}
