/** Views are addressed by the URL's hash ("#/trace/4bf9…?span=00f0…"), so the server only ever serves `/`. */

export const VIEWS = [
  "overview",
  "service",
  "map",
  "traces",
  "trace",
  "metrics",
  "logs",
  "runs",
  "run",
  "compare",
] as const;
export type ViewName = (typeof VIEWS)[number];

export interface Route {
  view: ViewName | "unknown";
  /** The path segment after the view: a service name, a trace id or a run id. */
  id: string;
  params: URLSearchParams;
}

const PATHS: Record<string, ViewName> = {
  "": "overview",
  services: "overview",
  service: "service",
  map: "map",
  traces: "traces",
  trace: "trace",
  metrics: "metrics",
  logs: "logs",
  runs: "runs",
  run: "run",
  compare: "compare",
};

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#\/?/, "");
  const query = text.indexOf("?");
  const path = query === -1 ? text : text.slice(0, query);
  const params = new URLSearchParams(query === -1 ? "" : text.slice(query + 1));
  const [head = "", ...rest] = path.split("/");
  let id = "";
  try {
    id = decodeURIComponent(rest.join("/"));
  } catch {
    return { view: "unknown", id: rest.join("/"), params };
  }
  return { view: PATHS[head] ?? "unknown", id, params };
}

/** The hash of a view: routeHash("service", "orders") is "#/service/orders". */
export function routeHash(
  view: ViewName,
  id = "",
  params?: URLSearchParams | Record<string, string>,
): string {
  const path = view === "overview" ? "" : view;
  const search = new URLSearchParams(params ?? {}).toString();
  return `#/${path}${id === "" ? "" : `/${encodeURIComponent(id)}`}${search === "" ? "" : `?${search}`}`;
}
