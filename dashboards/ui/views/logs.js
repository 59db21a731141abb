import { ApiError, api } from "../api.js";
import { field, h, notice, replace, select, table } from "../dom.js";
import { attributeText, formatTimestampNs } from "../lib/format.js";
import { routeHash } from "../lib/route.js";
import { serviceLink, severityBadge, traceLink } from "./common.js";

/** @import { Context, View } from "../main.js" */

const FILTERS = ["q", "service", "severity", "traceId", "limit"];

/**
 * Log search: full text over the bodies, filters by service, minimum severity and trace; each record with a
 * trace id links to its trace (and span).
 * @param {Context} ctx
 * @param {URLSearchParams} params
 * @returns {View}
 */
export function logsView(ctx, params) {
  const value = (/** @type {string} */ name) => params.get(name) ?? "";
  const q = h("input", {
    attrs: {
      name: "q",
      type: "search",
      placeholder: "words in the body; conn* for a prefix",
      value: value("q"),
    },
  });
  const serviceSelect = select("service", [["", "any service"]], value("service"));
  const severity = select(
    "severity",
    [["", "any severity"], "trace", "debug", "info", "warn", "error", "fatal"],
    value("severity"),
  );
  const traceId = h("input", {
    class: "mono",
    attrs: {
      name: "traceId",
      type: "text",
      placeholder: "32 hex digits",
      size: "34",
      value: value("traceId"),
    },
  });
  const limit = select("limit", ["100", "500", "1000"], value("limit") || "100");
  const form = h(
    "form",
    {
      class: "filters",
      on: {
        submit: (event) => {
          event.preventDefault();
          const next = new URLSearchParams();
          const controls = { q, service: serviceSelect, severity, traceId, limit };
          for (const [name, control] of Object.entries(controls)) {
            if (control.value.trim() !== "") next.set(name, control.value.trim());
          }
          if (next.get("limit") === "100") next.delete("limit");
          ctx.navigate(routeHash("logs", "", next));
        },
      },
    },
    field("Search", q),
    field("Service", serviceSelect),
    field("Severity at least", severity),
    field("Trace id", traceId),
    field("Limit", limit),
    h("button", { class: "primary", text: "Search", attrs: { type: "submit" } }),
  );
  const results = h("div", {}, notice("loading", "Searching…"));
  const el = h("section", { class: "view logs" }, h("h1", { text: "Logs" }), form, results);
  let servicesLoaded = false;

  return {
    el,
    async refresh() {
      const window = ctx.window();
      const query = new URLSearchParams(window);
      for (const name of FILTERS) if (value(name) !== "") query.set(name, value(name));
      const services = servicesLoaded ? undefined : await api.services(window, ctx.signal);
      if (services !== undefined) {
        servicesLoaded = true;
        const names = services.services.filter((s) => s.signals.logs).map((s) => s.name);
        const current = value("service");
        if (current !== "" && !names.includes(current)) names.push(current);
        for (const name of names.sort()) {
          const option = h("option", { text: name, attrs: { value: name } });
          option.selected = name === current;
          serviceSelect.append(option);
        }
      }
      let found;
      try {
        found = await api.logs(query, ctx.signal);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 400) throw error;
        replace(results, notice("error", error.message));
        return;
      }
      if (found.logs.length === 0) {
        replace(results, notice("empty", "No log record matches in this range."));
        return;
      }
      replace(
        results,
        h("p", { class: "hint", text: `${found.logs.length} records, newest first.` }),
        table(
          ["Time", "Severity", "Service", "Body", "Attributes", "Trace"],
          found.logs.map((l) => {
            const attributes = Object.entries(l.attributes)
              .map(([k, v]) => `${k}=${attributeText(v)}`)
              .join("  ");
            const body = h("td", {
              class: "body clamp",
              text: attributeText(l.body),
              title: "click to expand",
            });
            body.addEventListener("click", () => body.classList.toggle("clamp"));
            return h(
              "tr",
              {},
              h("td", { class: "mono nowrap", text: formatTimestampNs(BigInt(l.timeNs)).slice(5, 23) }),
              h("td", {}, severityBadge(l.severityNumber, l.severityText)),
              h("td", {}, serviceLink(l.service)),
              body,
              h("td", { class: "attrs-inline", text: attributes, title: attributes }),
              h("td", {}, l.traceId === null ? "–" : traceLink(l.traceId, l.spanId)),
            );
          }),
          "grid logs",
        ),
      );
    },
  };
}
