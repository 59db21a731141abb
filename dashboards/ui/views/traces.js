import { api } from "../api.js";
import { field, h, notice, replace, select, table } from "../dom.js";
import { serviceColor } from "../lib/colors.js";
import { formatDateTimeMs, formatDuration, nsToMs } from "../lib/format.js";
import { formatAttributeFilters, parseAttributeFilters, prefixedParams } from "../lib/query-params.js";
import { routeHash } from "../lib/route.js";
import { traceLink } from "./common.js";

/** @import { Context, View } from "../main.js" */

const FILTERS = ["service", "operation", "minDurationMs", "maxDurationMs", "status", "limit"];

/**
 * Trace search: the form's fields are the API's filters and live in the URL, so a search can be shared.
 * @param {Context} ctx
 * @param {URLSearchParams} params
 * @returns {View}
 */
export function tracesView(ctx, params) {
  const value = (/** @type {string} */ name) => params.get(name) ?? "";
  const serviceSelect = select("service", [["", "any service"]], value("service"));
  const operation = h("input", {
    attrs: { name: "operation", type: "text", placeholder: "span name", value: value("operation") },
  });
  const minDuration = h("input", {
    attrs: {
      name: "minDurationMs",
      type: "number",
      min: "0",
      step: "any",
      placeholder: "ms",
      value: value("minDurationMs"),
    },
  });
  const maxDuration = h("input", {
    attrs: {
      name: "maxDurationMs",
      type: "number",
      min: "0",
      step: "any",
      placeholder: "ms",
      value: value("maxDurationMs"),
    },
  });
  const status = select(
    "status",
    [
      ["", "any status"],
      ["error", "error"],
      ["ok", "ok"],
      ["unset", "unset"],
    ],
    value("status"),
  );
  const attributes = h("textarea", {
    attrs: {
      name: "attributes",
      rows: "2",
      placeholder: "http.route=/orders\nretry=true",
      spellcheck: "false",
    },
  });
  attributes.value = formatAttributeFilters(prefixedParams(params, "attr."));
  const limit = select("limit", ["20", "50", "100", "500"], value("limit") || "20");
  const formError = h("p", { class: "notice error", attrs: { role: "alert" } });
  formError.hidden = true;

  const form = h(
    "form",
    {
      class: "filters",
      on: {
        submit: (event) => {
          event.preventDefault();
          const parsed = parseAttributeFilters(attributes.value);
          if (parsed.invalid.length > 0) {
            formError.textContent = `Attributes must be key=value, one per line: ${parsed.invalid.join(", ")}`;
            formError.hidden = false;
            return;
          }
          const next = new URLSearchParams();
          const controls = {
            service: serviceSelect,
            operation,
            minDurationMs: minDuration,
            maxDurationMs: maxDuration,
            status,
            limit,
          };
          for (const [name, control] of Object.entries(controls))
            if (control.value !== "") next.set(name, control.value);
          if (next.get("limit") === "20") next.delete("limit");
          for (const [key, v] of Object.entries(parsed.filters)) next.set(`attr.${key}`, v);
          ctx.navigate(routeHash("traces", "", next));
        },
      },
    },
    field("Service", serviceSelect),
    field("Operation", operation),
    field("Min duration (ms)", minDuration),
    field("Max duration (ms)", maxDuration),
    field("Status", status),
    field("Attributes (key=value per line)", attributes),
    field("Limit", limit),
    h("button", { class: "primary", text: "Search", attrs: { type: "submit" } }),
  );
  const results = h("div", {}, notice("loading", "Searching…"));
  const el = h("section", { class: "view traces" }, h("h1", { text: "Traces" }), form, formError, results);
  let servicesLoaded = false;

  return {
    el,
    async refresh() {
      const window = ctx.window();
      const query = new URLSearchParams({ ...window });
      for (const name of FILTERS) if (params.has(name)) query.set(name, value(name));
      for (const [key, v] of Object.entries(prefixedParams(params, "attr."))) query.set(`attr.${key}`, v);
      const [services, found] = await Promise.all([
        servicesLoaded ? undefined : api.services(window, ctx.signal),
        api.traces(query, ctx.signal),
      ]);
      if (services !== undefined) {
        servicesLoaded = true;
        const names = services.services.map((s) => s.name);
        const current = value("service");
        if (current !== "" && !names.includes(current)) names.push(current);
        for (const name of names.sort()) {
          const option = h("option", { text: name, attrs: { value: name } });
          option.selected = name === current;
          serviceSelect.append(option);
        }
      }
      if (found.traces.length === 0) {
        replace(results, notice("empty", "No trace matches in this range."));
        return;
      }
      const longest = found.traces.reduce(
        (max, t) => (BigInt(t.durationNs) > max ? BigInt(t.durationNs) : max),
        1n,
      );
      replace(
        results,
        h("p", { class: "hint", text: `${found.traces.length} traces, newest first.` }),
        table(
          ["Start", "Trace", "Duration", "Spans", "Errors", "Services", "Trace id"],
          found.traces.map((t) =>
            h(
              "tr",
              { dataset: { traceId: t.traceId } },
              h("td", { class: "nowrap", text: formatDateTimeMs(nsToMs(t.startNs)) }),
              h(
                "td",
                {},
                h(
                  "a",
                  { href: routeHash("trace", t.traceId), class: "trace-title" },
                  h("strong", { text: t.rootService }),
                  ": ",
                  t.rootName,
                ),
              ),
              h(
                "td",
                { class: "duration-cell" },
                h("span", {
                  class: "duration-bar",
                  style: { width: `${Math.max(1, Number((BigInt(t.durationNs) * 100n) / longest))}%` },
                }),
                h("span", { class: "num", text: formatDuration(BigInt(t.durationNs)) }),
              ),
              h("td", { class: "num", text: String(t.spanCount) }),
              h("td", { class: `num ${t.errorCount > 0 ? "bad" : ""}`, text: String(t.errorCount) }),
              h(
                "td",
                { class: "chips" },
                ...t.services.map((s) =>
                  h("span", { class: "chip", text: s, style: { borderColor: serviceColor(s) } }),
                ),
              ),
              h("td", {}, traceLink(t.traceId)),
            ),
          ),
          "grid trace-results",
        ),
      );
    },
  };
}
