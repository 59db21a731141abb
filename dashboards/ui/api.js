/**
 * The query API client: the UI reads nothing else. The answer types are the collector's own, so a change to the
 * API that the UI does not follow fails `npm run build`.
 *
 * @import { ServiceSummary } from "../../collector/query/services.js"
 * @import { TraceSummary, SpanDetail } from "../../collector/query/traces.js"
 * @import { DependencyNode, DependencyEdge } from "../../collector/query/dependencies.js"
 * @import { RedBucket } from "../../collector/query/red.js"
 * @import { SeriesSummary, MetricQueryResult } from "../../collector/query/metrics.js"
 * @import { LogRecord } from "../../collector/query/logs.js"
 * @import { RunSummary, RunDetail } from "../../collector/query/runs.js"
 */

/** A failed request, with the problem detail the API answered (RFC 9457) or what went wrong on the way. */
export class ApiError extends Error {
  /**
   * @param {number} status 0 when the collector could not be reached
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** @typedef {Record<string, string | number | undefined>} Params */

/**
 * @param {string} path
 * @param {Params | URLSearchParams} [params]
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
async function get(path, params = {}, signal) {
  const search = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? [...params] : Object.entries(params);
  for (const [k, v] of entries) if (v !== undefined && v !== "") search.append(k, String(v));
  const query = search.toString();
  let response;
  try {
    response = await fetch(`api${path}${query === "" ? "" : `?${query}`}`, {
      headers: { accept: "application/json" },
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(
      0,
      `the collector cannot be reached (${error instanceof Error ? error.message : error})`,
    );
  }
  if (response.ok) return response.json();
  let detail = `${response.status} ${response.statusText}`;
  try {
    const problem = await response.json();
    if (typeof problem.detail === "string") detail = problem.detail;
  } catch {
    // Not a problem document: the status line says enough.
  }
  if (response.status === 401) {
    detail = "this collector requires its token: open /?token=<token> once in this browser";
  }
  throw new ApiError(response.status, detail);
}

/** @typedef {{ start?: string, end?: string }} Window */

export const api = {
  /**
   * @param {Window} window
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ services: ServiceSummary[] }>}
   */
  services: (window, signal) => get("/services", window, signal),

  /**
   * @param {URLSearchParams} params
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ traces: TraceSummary[] }>}
   */
  traces: (params, signal) => get("/traces", params, signal),

  /**
   * @param {string} traceId
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ traceId: string, spans: SpanDetail[] }>}
   */
  trace: (traceId, signal) => get(`/traces/${encodeURIComponent(traceId)}`, {}, signal),

  /**
   * @param {Window} window
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ nodes: DependencyNode[], edges: DependencyEdge[] }>}
   */
  dependencies: (window, signal) => get("/dependencies", window, signal),

  /**
   * @param {{ service: string } & Window & { step?: string }} params
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ service: string, stepMs: number, buckets: RedBucket[] }>}
   */
  red: (params, signal) => get("/red", params, signal),

  /**
   * @param {{ name?: string, service?: string }} params
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ series: SeriesSummary[] }>}
   */
  metrics: (params, signal) => get("/metrics", params, signal),

  /**
   * @param {URLSearchParams} params
   * @param {AbortSignal} [signal]
   * @returns {Promise<MetricQueryResult>}
   */
  metricQuery: (params, signal) => get("/metrics/query", params, signal),

  /**
   * @param {URLSearchParams | Params} params
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ logs: LogRecord[] }>}
   */
  logs: (params, signal) => get("/logs", params, signal),

  /**
   * @param {Window & { limit?: number, experiment?: string }} params
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ runs: RunSummary[] }>}
   */
  runs: (params, signal) => get("/runs", params, signal),

  /**
   * @param {string} runId
   * @param {AbortSignal} [signal]
   * @returns {Promise<{ run: RunDetail }>}
   */
  run: (runId, signal) => get(`/runs/${encodeURIComponent(runId)}`, {}, signal),
};
