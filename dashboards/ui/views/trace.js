import { ApiError, api } from "../api.js";
import { h, keyValueTable, notice, replace, table } from "../dom.js";
import { serviceColor } from "../lib/colors.js";
import { attributeText, formatDuration, formatNsExact, formatTimestampNs, nsToMs } from "../lib/format.js";
import { routeHash } from "../lib/route.js";
import { spanMatcher } from "../lib/span-filter.js";
import { barGeometry, layoutTrace, percentOf, rulerTicks } from "../lib/trace-layout.js";
import { serviceLink, severityBadge, traceLink } from "./common.js";

/**
 * @import { Context, View } from "../main.js"
 * @import { SpanDetail } from "../../../collector/query/traces.js"
 * @import { LogRecord } from "../../../collector/query/logs.js"
 * @import { WaterfallLayout, WaterfallRow } from "../lib/trace-layout.js"
 */

/** @typedef {WaterfallRow<SpanDetail>} Row */

const STATUS_NAMES = ["unset", "ok", "error"];
/** A trace whose last span ended this long ago is taken as complete and no longer refreshed. */
const SETTLED_AFTER_MILLIS = 120_000;
/** Logs may be stamped by a clock a little ahead of the browser's. */
const LOG_SLACK_AFTER_MILLIS = 600_000;
const MAX_EVENT_TICKS = 20;
const MAX_INDENT_LEVELS = 24;

const ROW_TEMPLATE = h(
  "div",
  { class: "span-row" },
  h("div", { class: "span-label" }, h("span", { class: "svc" }), h("span", { class: "name" })),
  h("div", { class: "span-track" }, h("div", { class: "span-bar" }), h("span", { class: "span-dur" })),
);

/**
 * @param {Record<string, unknown>} attributes
 * @param {string} [className]
 */
function attributeTable(attributes, className = "kv attrs") {
  const keys = Object.keys(attributes).sort();
  if (keys.length === 0) return h("p", { class: "hint", text: "none" });
  return keyValueTable(
    keys.map((k) => [k, h("span", { class: "value", text: attributeText(attributes[k]) })]),
    className,
  );
}

/**
 * One trace as a waterfall accurate to the nanosecond (offsets and durations are BigInt arithmetic on the API's
 * nanosecond strings; bars have a minimum width so a sub-millisecond span never vanishes), with span details,
 * a filter over its spans, its logs, and links to the traces its spans link to (a Kafka consumer's trace
 * linking back to the producer's).
 * @param {Context} ctx
 * @param {string} traceId
 * @param {URLSearchParams} params
 * @returns {View}
 */
export function traceView(ctx, traceId, params) {
  const header = h("div", { class: "trace-header" }, notice("loading", `Loading trace ${traceId}…`));
  const filterInput = h("input", {
    class: "span-filter",
    attrs: {
      type: "search",
      placeholder: "Filter spans: name, service, attribute text or key=value",
      "aria-label": "Filter spans",
    },
  });
  const matchCount = h("span", { class: "match-count" });
  const onlyMatches = h("input", { attrs: { type: "checkbox" } });
  const ruler = h("div", { class: "ruler" });
  const rowsEl = h("div", { class: "rows" });
  const waterfall = h("div", { class: "waterfall" }, ruler, rowsEl);
  const logsEl = h("div", { class: "trace-logs" });
  const toolbar = h(
    "div",
    { class: "toolbar" },
    filterInput,
    matchCount,
    h("label", { class: "check" }, onlyMatches, "only matching spans"),
    h("button", {
      text: "Expand all",
      attrs: { type: "button" },
      on: { click: () => setAllCollapsed(false) },
    }),
    h("button", {
      text: "Collapse all",
      attrs: { type: "button" },
      on: { click: () => setAllCollapsed(true) },
    }),
  );
  const el = h("section", { class: "view trace", dataset: { traceId } }, header, toolbar, waterfall, logsEl);

  /** @type {WaterfallLayout<SpanDetail> | undefined} */
  let layout;
  /** @type {HTMLElement[]} */
  let rowEls = [];
  /** @type {(HTMLElement | undefined)[]} */
  let toggles = [];
  /** @type {LogRecord[]} */
  let logs = [];
  /** @type {Map<string, number>} */
  let indexOf = new Map();
  /** Kept by span id, so that a live refresh with more spans keeps what the user opened. */
  const collapsed = new Set();
  /** @type {Map<string, HTMLElement>} */
  const openDetails = new Map();
  /** @type {string | undefined} */
  let selected = params.get("span") ?? undefined;
  let scrollToSelected = selected !== undefined;
  /** @type {boolean[] | undefined} */
  let matches;
  let spanCount = -1;
  let lastMatch = -1;

  const applyVisibility = () => {
    if (layout === undefined) return;
    const rows = layout.rows;
    /** @type {boolean[] | undefined} */
    let keep;
    if (matches !== undefined && onlyMatches.checked) {
      // A match keeps its ancestors visible, so it is seen in its place in the tree.
      keep = [...matches];
      for (let i = rows.length - 1; i >= 0; i--) {
        const parent = /** @type {Row} */ (rows[i]).parentIndex;
        if (keep[i] && parent >= 0) keep[parent] = true;
      }
    }
    let skipUntil = -1;
    for (const row of rows) {
      const i = row.index;
      let hide = i <= skipUntil;
      if (!hide && collapsed.has(row.span.spanId)) skipUntil = Math.max(skipUntil, i + row.descendantCount);
      if (!hide && keep !== undefined && !keep[i]) hide = true;
      const rowEl = /** @type {HTMLElement} */ (rowEls[i]);
      if (rowEl.hidden !== hide) rowEl.hidden = hide;
      const details = openDetails.get(row.span.spanId);
      if (details !== undefined) details.hidden = hide;
      const toggle = toggles[i];
      if (toggle !== undefined) {
        const text = collapsed.has(row.span.spanId) ? "▸" : "▾";
        if (toggle.textContent !== text) toggle.textContent = text;
      }
    }
  };

  /** @param {boolean} on */
  const setAllCollapsed = (on) => {
    collapsed.clear();
    if (on && layout !== undefined) {
      for (const row of layout.rows) if (row.childCount > 0 && row.depth > 0) collapsed.add(row.span.spanId);
    }
    applyVisibility();
  };

  const applyFilter = () => {
    if (layout === undefined) return;
    const matcher = spanMatcher(filterInput.value);
    lastMatch = -1;
    if (matcher === undefined) {
      matches = undefined;
      matchCount.textContent = "";
      for (const rowEl of rowEls) rowEl.classList.remove("match", "dim");
    } else {
      matches = layout.rows.map((row) => matcher(row.span));
      let count = 0;
      matches.forEach((match, i) => {
        const rowEl = /** @type {HTMLElement} */ (rowEls[i]);
        rowEl.classList.toggle("match", match);
        rowEl.classList.toggle("dim", !match);
        if (match) count++;
      });
      matchCount.textContent = `${count} of ${layout.rows.length} spans match`;
    }
    applyVisibility();
  };

  /** @param {Row} row */
  const spanDetails = (row) => {
    const s = row.span;
    const start = BigInt(s.startNs);
    const spanLogs = logs.filter((l) => l.spanId === s.spanId);
    const parent =
      s.parentSpanId === null
        ? "none (root span)"
        : indexOf.has(s.parentSpanId)
          ? h("button", {
              class: "linkish mono",
              text: s.parentSpanId,
              attrs: { type: "button" },
              on: { click: () => selectSpan(/** @type {string} */ (s.parentSpanId)) },
            })
          : `${s.parentSpanId} (never received)`;
    const status = `${STATUS_NAMES[s.status.code] ?? s.status.code}${s.status.message === "" ? "" : `: ${s.status.message}`}`;
    const dropped = [
      s.droppedAttributesCount > 0 && `${s.droppedAttributesCount} attributes`,
      s.droppedEventsCount > 0 && `${s.droppedEventsCount} events`,
      s.droppedLinksCount > 0 && `${s.droppedLinksCount} links`,
    ].filter(Boolean);
    /** @type {[string, import("../dom.js").Child][]} */
    const summary = [
      ["Service", serviceLink(s.service)],
      ["Instance", s.serviceInstanceId || "–"],
      ["Kind", s.kindName],
      ["Status", h("span", { class: s.status.code === 2 ? "bad" : "", text: status })],
      ["Span id", h("span", { class: "mono", text: s.spanId })],
      ["Parent", parent],
      [
        "Start",
        h("span", { class: "mono", text: formatTimestampNs(start), title: formatTimestampNs(start, "utc") }),
      ],
      ["Offset in trace", h("span", { class: "mono", text: formatNsExact(row.offsetNs) })],
      [
        "Duration",
        h("span", {
          class: "mono",
          text: `${formatNsExact(row.durationNs)}  (${formatDuration(row.durationNs)})`,
        }),
      ],
    ];
    if (s.traceState !== "") summary.push(["Trace state", s.traceState]);
    if (dropped.length > 0) summary.push(["Dropped", dropped.join(", ")]);
    return h(
      "div",
      { class: "span-details", dataset: { spanId: s.spanId } },
      h(
        "div",
        { class: "columns" },
        h("div", {}, h("h3", { text: "Span" }), keyValueTable(summary)),
        h("div", {}, h("h3", { text: "Attributes" }), attributeTable(s.attributes)),
      ),
      s.events.length > 0 &&
        h(
          "div",
          {},
          h("h3", { text: `Events (${s.events.length})` }),
          table(
            ["At", "Name", "Attributes"],
            s.events.map((e) =>
              h(
                "tr",
                {},
                h("td", { class: "mono nowrap", text: `+${formatDuration(BigInt(e.timeUnixNano) - start)}` }),
                h("td", { text: e.name }),
                h("td", {}, attributeTable(e.attributes)),
              ),
            ),
          ),
        ),
      s.links.length > 0 &&
        h(
          "div",
          {},
          h("h3", { text: `Links (${s.links.length})` }),
          table(
            ["Trace", "Span", "Attributes"],
            s.links.map((link) =>
              h(
                "tr",
                {},
                h(
                  "td",
                  {},
                  link.traceId === traceId
                    ? h("span", { text: "this trace" })
                    : traceLink(link.traceId, link.spanId, link.traceId),
                ),
                h(
                  "td",
                  {},
                  link.traceId === traceId && indexOf.has(link.spanId)
                    ? h("button", {
                        class: "linkish mono",
                        text: link.spanId,
                        attrs: { type: "button" },
                        on: { click: () => selectSpan(link.spanId) },
                      })
                    : h("span", { class: "mono", text: link.spanId }),
                ),
                h("td", {}, attributeTable(link.attributes)),
              ),
            ),
          ),
        ),
      h(
        "div",
        { class: "columns" },
        h("div", {}, h("h3", { text: "Resource" }), attributeTable(s.resource.attributes)),
        h(
          "div",
          {},
          h("h3", { text: "Scope" }),
          h("p", {
            class: "mono",
            text: `${s.scope.name}${s.scope.version === "" ? "" : ` ${s.scope.version}`}`,
          }),
          Object.keys(s.scope.attributes).length > 0 && attributeTable(s.scope.attributes),
        ),
      ),
      spanLogs.length > 0 &&
        h("div", {}, h("h3", { text: `Logs (${spanLogs.length})` }), logTable(spanLogs, false)),
    );
  };

  /** @param {string} spanId */
  const toggleDetails = (spanId) => {
    const open = openDetails.get(spanId);
    if (open !== undefined) {
      open.remove();
      openDetails.delete(spanId);
      rowEls[indexOf.get(spanId) ?? -1]?.classList.remove("open");
      return;
    }
    const index = indexOf.get(spanId);
    const row = index === undefined ? undefined : layout?.rows[index];
    const rowEl = index === undefined ? undefined : rowEls[index];
    if (row === undefined || rowEl === undefined) return;
    const details = spanDetails(row);
    rowEl.after(details);
    rowEl.classList.add("open");
    openDetails.set(spanId, details);
  };

  /**
   * Shows a span: expands its ancestors, opens its details, and scrolls to it.
   * @param {string} spanId
   */
  const selectSpan = (spanId) => {
    const index = indexOf.get(spanId);
    if (layout === undefined || index === undefined) return;
    for (let i = layout.rows[index]?.parentIndex ?? -1; i >= 0; i = layout.rows[i]?.parentIndex ?? -1) {
      collapsed.delete(layout.rows[i]?.span.spanId);
    }
    if (selected !== undefined) rowEls[indexOf.get(selected) ?? -1]?.classList.remove("selected");
    selected = spanId;
    const rowEl = /** @type {HTMLElement} */ (rowEls[index]);
    rowEl.classList.add("selected");
    if (!openDetails.has(spanId)) toggleDetails(spanId);
    applyVisibility();
    rowEl.scrollIntoView({ block: "center" });
    history.replaceState(null, "", routeHash("trace", traceId, { span: spanId }));
  };

  /**
   * @param {LogRecord[]} records
   * @param {boolean} withSpan
   */
  const logTable = (records, withSpan) =>
    table(
      ["Time", "Severity", "Service", "Body", ...(withSpan ? ["Span"] : [])],
      records.map((l) =>
        h(
          "tr",
          {},
          h("td", {
            class: "mono nowrap",
            text:
              layout === undefined
                ? formatTimestampNs(BigInt(l.timeNs))
                : `+${formatDuration(BigInt(l.timeNs) - layout.startNs)}`,
            title: formatTimestampNs(BigInt(l.timeNs)),
          }),
          h("td", {}, severityBadge(l.severityNumber, l.severityText)),
          h("td", { text: l.service }),
          h("td", { class: "body", text: attributeText(l.body) }),
          withSpan &&
            h(
              "td",
              {},
              l.spanId !== null && indexOf.has(l.spanId)
                ? h("button", {
                    class: "linkish",
                    text: layout?.rows[indexOf.get(l.spanId) ?? -1]?.span.name ?? l.spanId,
                    attrs: { type: "button" },
                    on: { click: () => selectSpan(/** @type {string} */ (l.spanId)) },
                  })
                : h("span", { class: "mono", text: l.spanId ?? "–" }),
            ),
        ),
      ),
      "grid logs",
    );

  /**
   * A row cloned from a template and filled in: building thousands of rows element by element costs several
   * times as much.
   * @param {Row} row
   * @param {bigint} totalNs
   */
  const rowElement = (row, totalNs) => {
    const s = row.span;
    const color = serviceColor(s.service);
    const bar = barGeometry(row, totalNs);
    const end = bar.leftPercent + bar.widthPercent;
    const el = /** @type {HTMLElement} */ (ROW_TEMPLATE.cloneNode(true));
    const label = /** @type {HTMLElement} */ (el.firstChild);
    const svc = /** @type {HTMLElement} */ (label.firstChild);
    const name = /** @type {HTMLElement} */ (svc.nextSibling);
    const barEl = /** @type {HTMLElement} */ (el.lastChild?.firstChild);
    const duration = /** @type {HTMLElement} */ (barEl.nextSibling);
    el.dataset.spanId = s.spanId;
    if (s.status.code === 2) el.classList.add("error");
    if (s.spanId === selected) el.classList.add("selected");
    label.style.paddingLeft = `${Math.min(row.depth, MAX_INDENT_LEVELS) * 12 + (row.childCount > 0 ? 4 : 24)}px`;
    if (row.childCount > 0) {
      const toggle = h("button", {
        class: "toggle",
        text: "▾",
        attrs: { type: "button", "aria-label": "collapse" },
      });
      label.prepend(toggle);
      toggles[row.index] = toggle;
    }
    svc.style.borderColor = color;
    svc.textContent = s.service;
    name.textContent = s.name;
    if (s.status.code === 2)
      label.append(h("span", { class: "err-badge", text: "!", title: "status error" }));
    if (s.links.length > 0)
      label.append(h("span", { class: "link-badge", text: `↗${s.links.length}`, title: "span links" }));
    if (row.orphan) label.append(h("span", { class: "orphan", text: "parent missing" }));
    barEl.style.left = `min(${bar.leftPercent}%, calc(100% - 3px))`;
    barEl.style.width = `${bar.widthPercent}%`;
    barEl.style.background = color;
    if (s.events.length > 0 && s.events.length <= MAX_EVENT_TICKS && row.durationNs > 0n) {
      for (const event of s.events) {
        const at = percentOf(BigInt(event.timeUnixNano) - BigInt(s.startNs), row.durationNs);
        barEl.append(
          h("span", {
            class: "event-tick",
            style: { left: `${Math.min(100, Math.max(0, at))}%` },
            title: event.name,
          }),
        );
      }
    }
    // The duration goes after the bar, or before it near the right edge, or inside a bar that fills the track.
    duration.textContent = formatDuration(row.durationNs);
    if (end <= 75) duration.style.left = `${end}%`;
    else if (bar.leftPercent >= 15) duration.style.right = `${100 - bar.leftPercent}%`;
    else {
      duration.style.right = `${Math.max(0, 100 - end)}%`;
      duration.classList.add("inside");
    }
    return el;
  };

  /**
   * @param {SpanDetail[]} spans
   * @param {LogRecord[] | Error} logResult
   */
  const render = (spans, logResult) => {
    const next = layoutTrace(spans);
    layout = next;
    logs = logResult instanceof Error ? [] : logResult;
    indexOf = new Map(next.rows.map((row) => [row.span.spanId, row.index]));
    const root = next.rows[0]?.span;
    const services = [...new Set(spans.map((s) => s.service))].sort();
    const errors = spans.filter((s) => s.status.code === 2).length;
    /** @type {Map<string, { spanId: string, from: string }>} */
    const linked = new Map();
    for (const s of spans) {
      for (const link of s.links) {
        if (link.traceId !== traceId && !linked.has(link.traceId)) {
          linked.set(link.traceId, { spanId: link.spanId, from: `${s.service}: ${s.name}` });
        }
      }
    }
    replace(
      header,
      h("h1", {}, root === undefined ? traceId : `${root.service}: ${root.name}`),
      keyValueTable(
        [
          ["Trace id", h("span", { class: "mono", text: traceId })],
          [
            "Start",
            h("span", {
              class: "mono",
              text: formatTimestampNs(next.startNs),
              title: formatTimestampNs(next.startNs, "utc"),
            }),
          ],
          [
            "Duration",
            h("span", {
              class: "mono",
              text: `${formatDuration(next.durationNs)}  (${formatNsExact(next.durationNs)})`,
            }),
          ],
          ["Spans", `${spans.length}${errors > 0 ? `, ${errors} failed` : ""}`],
          ["Services", h("span", { class: "chips" }, ...services.map((s) => serviceLink(s)))],
        ],
        "kv inline",
      ),
      linked.size > 0 &&
        h(
          "div",
          { class: "linked-traces" },
          h("h3", { text: "Linked traces" }),
          h(
            "ul",
            {},
            ...[...linked].map(([id, link]) =>
              h(
                "li",
                {},
                traceLink(id, link.spanId, id),
                h("span", { class: "hint", text: ` linked from ${link.from}` }),
              ),
            ),
          ),
        ),
    );
    const ticks = rulerTicks(next.durationNs, 8);
    replace(
      ruler,
      h("div", { class: "ruler-label", text: "Service · span" }),
      h(
        "div",
        { class: "ruler-track" },
        ...ticks.map((t) =>
          h("span", {
            class: "tick",
            style: { left: `${percentOf(t, next.durationNs)}%` },
            text: formatDuration(t),
          }),
        ),
      ),
    );
    const reopen = [...openDetails.keys()];
    openDetails.clear();
    const fragment = document.createDocumentFragment();
    toggles = [];
    rowEls = next.rows.map((row) => rowElement(row, next.durationNs));
    fragment.append(...rowEls);
    rowsEl.replaceChildren(fragment);
    for (const spanId of reopen) toggleDetails(spanId);
    applyFilter();
    replace(
      logsEl,
      h("h2", { text: logResult instanceof Error ? "Logs" : `Logs (${logs.length})` }),
      logResult instanceof Error
        ? notice("error", `The trace's logs cannot be loaded: ${logResult.message}`)
        : logs.length === 0
          ? notice("empty", "No log record carries this trace id.")
          : logTable(logs, true),
    );
    waterfall.dataset.spans = String(spans.length);
  };

  rowsEl.addEventListener("click", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    const rowEl = target.closest(".span-row");
    if (!(rowEl instanceof HTMLElement) || rowEl.dataset.spanId === undefined) return;
    const spanId = rowEl.dataset.spanId;
    if (target.closest(".toggle") !== null) {
      if (collapsed.has(spanId)) collapsed.delete(spanId);
      else collapsed.add(spanId);
      applyVisibility();
      return;
    }
    toggleDetails(spanId);
  });
  let filterTimer = 0;
  filterInput.addEventListener("input", () => {
    clearTimeout(filterTimer);
    filterTimer = window.setTimeout(applyFilter, 120);
  });
  filterInput.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || matches === undefined) return;
    const next = matches.findIndex((m, i) => m && i > lastMatch);
    const index = next === -1 ? matches.indexOf(true) : next;
    const span = index === -1 ? undefined : layout?.rows[index]?.span.spanId;
    if (span === undefined) return;
    lastMatch = index;
    selectSpan(span);
  });
  onlyMatches.addEventListener("change", applyVisibility);

  return {
    el,
    async refresh() {
      const first = spanCount === -1;
      // Spans of a trace arrive within seconds; an old trace is not fetched again (a big one is megabytes).
      if (!first && layout !== undefined && Date.now() - nsToMs(layout.endNs) > SETTLED_AFTER_MILLIS) return;
      if (first) performance.mark("trace-fetch-start");
      // The logs are fetched alongside the trace: by trace id over all time, which the logs' trace index answers.
      const logRequest = api
        .logs({ traceId, start: 0, end: Date.now() + LOG_SLACK_AFTER_MILLIS, limit: 1000 }, ctx.signal)
        .then(
          (r) => [...r.logs].reverse(),
          (error) => (error instanceof Error ? error : new Error(String(error))),
        );
      let trace;
      try {
        trace = await api.trace(traceId, ctx.signal);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          replace(
            header,
            h("h1", { class: "mono", text: traceId }),
            notice("empty", "No span of this trace is stored (yet)."),
          );
          return;
        }
        throw error;
      }
      if (trace.spans.length === spanCount) return;
      const logResult = await logRequest;
      if (first) performance.mark("trace-data");
      spanCount = trace.spans.length;
      render(trace.spans, logResult);
      if (first) {
        performance.mark("trace-dom");
        // The measure ends once the browser has laid out and painted the rows: the next frame after this one.
        requestAnimationFrame(() =>
          setTimeout(() => {
            performance.mark("trace-painted");
            performance.measure("trace-render", "trace-fetch-start", "trace-painted");
            performance.measure("trace-build", "trace-data", "trace-painted");
            waterfall.dataset.painted = "true";
          }, 0),
        );
      }
      if (scrollToSelected && selected !== undefined) {
        scrollToSelected = false;
        selectSpan(selected);
      }
    },
  };
}
