import "uplot/dist/uPlot.min.css";
import "./style.css";
import { h, notice, replace, select } from "./dom.js";
import { formatClockMs } from "./lib/format.js";
import { parseRoute, routeHash } from "./lib/route.js";
import { compareView } from "./views/compare.js";
import { logsView } from "./views/logs.js";
import { mapView } from "./views/map.js";
import { metricsView } from "./views/metrics.js";
import { overviewView } from "./views/overview.js";
import { runView } from "./views/run.js";
import { runsView } from "./views/runs.js";
import { serviceView } from "./views/service.js";
import { traceView } from "./views/trace.js";
import { tracesView } from "./views/traces.js";

/**
 * @typedef {{
 *   window(): { start: string, end: string },
 *   range(): [number, number],
 *   signal: AbortSignal,
 *   navigate(hash: string): void,
 * }} Context
 */

/** @typedef {{ el: HTMLElement, refresh(): Promise<void>, destroy?(): void }} View */

const LIVE_INTERVAL_MILLIS = 5_000;
const RANGES = /** @type {const} */ ([
  ["5m", "Last 5 minutes", 300],
  ["15m", "Last 15 minutes", 900],
  ["1h", "Last hour", 3_600],
  ["6h", "Last 6 hours", 21_600],
  ["24h", "Last 24 hours", 86_400],
  ["7d", "Last 7 days", 604_800],
]);

const stored = (/** @type {string} */ key) => {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
};
const store = (/** @type {string} */ key, /** @type {string} */ value) => {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // Private modes may refuse storage; the choice then lasts until the page reloads.
  }
};

const state = {
  range: RANGES.some(([value]) => value === stored("shakedown.range"))
    ? String(stored("shakedown.range"))
    : "1h",
  live: stored("shakedown.live") !== "off",
};

const NAV = /** @type {const} */ ([
  ["overview", "Services"],
  ["map", "Service map"],
  ["traces", "Traces"],
  ["metrics", "Metrics"],
  ["logs", "Logs"],
  ["runs", "Experiments"],
]);

const navLinks = NAV.map(([view, label]) =>
  h("a", { href: routeHash(view), text: label, dataset: { view } }),
);
const status = h("span", { class: "status", attrs: { "aria-live": "polite" } });
const liveButton = h("button", {
  class: "live",
  attrs: { type: "button" },
  on: { click: () => setLive(!state.live) },
});
const rangeSelect = select(
  "range",
  RANGES.map(([value, label]) => [value, label]),
  state.range,
  {
    title: "Time range of every view",
    on: {
      change: () => {
        state.range = rangeSelect.value;
        store("shakedown.range", state.range);
        mount();
      },
    },
  },
);
const main = h("main", { attrs: { id: "main" } });

document.body.append(
  h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: routeHash("overview"), text: "Shakedown" }),
    h("nav", {}, ...navLinks),
    h("div", { class: "spacer" }),
    rangeSelect,
    liveButton,
    status,
  ),
  main,
);

/** @type {View | undefined} */
let view;
/** @type {AbortController | undefined} */
let controller;
let refreshing = false;

function rangeSeconds() {
  return RANGES.find(([value]) => value === state.range)?.[2] ?? 3_600;
}

/** @param {boolean} on */
function setLive(on) {
  state.live = on;
  store("shakedown.live", on ? "on" : "off");
  liveButton.textContent = on ? "● Live" : "❚❚ Paused";
  liveButton.title = on
    ? `Refreshing every ${LIVE_INTERVAL_MILLIS / 1000} s; click to pause (charts keep their points)`
    : "Paused; click to refresh live again";
  liveButton.setAttribute("aria-pressed", String(on));
  liveButton.classList.toggle("on", on);
  if (on) void refresh();
}

async function refresh() {
  if (view === undefined || refreshing) return;
  const current = view;
  refreshing = true;
  try {
    await current.refresh();
    if (current !== view) return;
    if (main.firstChild !== current.el) replace(main, current.el);
    status.textContent = `Updated ${formatClockMs(Date.now()).slice(0, 8)}`;
    status.classList.remove("failed");
    main.dataset.ready = "true";
    main.dataset.refreshes = String(Number(main.dataset.refreshes ?? "0") + 1);
  } catch (error) {
    if (controller?.signal.aborted || current !== view) return;
    const message = error instanceof Error ? error.message : String(error);
    status.textContent = message;
    status.classList.add("failed");
    // A view that never loaded shows why in its place, not only in the status line.
    if (main.dataset.refreshes === "0") replace(main, notice("error", message), current.el);
    main.dataset.ready = "true";
  } finally {
    refreshing = false;
  }
}

function mount() {
  controller?.abort();
  view?.destroy?.();
  controller = new AbortController();
  const route = parseRoute(location.hash);
  const signal = controller.signal;
  /** @type {Context} */
  const context = {
    window: () => ({ start: `now-${state.range}`, end: "now" }),
    range: () => {
      const end = Date.now() / 1000;
      return [end - rangeSeconds(), end];
    },
    signal,
    navigate: (hash) => {
      if (location.hash === hash) mount();
      else location.hash = hash;
    },
  };
  for (const link of navLinks) {
    const active =
      link.dataset.view === route.view ||
      (link.dataset.view === "overview" && route.view === "service") ||
      (link.dataset.view === "traces" && route.view === "trace") ||
      (link.dataset.view === "runs" && (route.view === "run" || route.view === "compare"));
    link.classList.toggle("active", active);
  }
  switch (route.view) {
    case "overview":
      view = overviewView(context);
      break;
    case "service":
      view = serviceView(context, route.id);
      break;
    case "map":
      view = mapView(context);
      break;
    case "traces":
      view = tracesView(context, route.params);
      break;
    case "trace":
      view = traceView(context, route.id, route.params);
      break;
    case "metrics":
      view = metricsView(context, route.params);
      break;
    case "logs":
      view = logsView(context, route.params);
      break;
    case "runs":
      view = runsView(context, route.params);
      break;
    case "run":
      view = runView(context, route.id);
      break;
    case "compare":
      view = compareView(context, route.params);
      break;
    default:
      view = {
        el: h("section", { class: "view" }, notice("error", `There is no view at ${location.hash}.`)),
        refresh: async () => {},
      };
  }
  main.dataset.ready = "false";
  main.dataset.view = route.view;
  main.dataset.refreshes = "0";
  replace(main, view.el);
  refreshing = false;
  void refresh();
}

window.addEventListener("hashchange", mount);
setInterval(() => {
  if (state.live && !document.hidden) void refresh();
}, LIVE_INTERVAL_MILLIS);
setLive(state.live);
mount();
