import { parseDuration } from "../../../cli/units.js";
import type { AssertionKind } from "./types.js";

interface HttpParams {
  service: string;
  path: string;
  method?: string;
  timeout?: string;
}

/** The status of one request to a node; the bar says which statuses are fine (e.g. min 200, max 299). */
export const http: AssertionKind<HttpParams> = {
  name: "http",
  description: "HTTP status of one request to a service, e.g. a health or product page.",
  properties: {
    service: { type: "string", minLength: 1 },
    path: { type: "string", pattern: "^/" },
    method: { enum: ["GET", "HEAD", "POST"] },
    timeout: { type: "string", pattern: "^\\d+(\\.\\d+)?(ms|s|m)$" },
  },
  required: ["service", "path"],
  bar: true,
  windowed: false,
  unit: "status",
  async evaluate(params, context) {
    const request = {
      method: params.method ?? "GET",
      service: params.service,
      path: params.path,
      timeoutMillis: parseDuration(params.timeout ?? "2s"),
    };
    const { status } = await context.http.request(request, context.signal);
    return status === null ? { measured: null, valid: false, reason: "no answer" } : { measured: status };
  },
};
