import type { RequestOutcome } from "../../checkers/types.js";
import type { AssertionKind } from "./types.js";

interface ResponseShareParams {
  /** The status a matching answer has; any status when absent. */
  status?: number;
  /** A header a matching answer carries (one of the flood's `recordHeaders`); not looked at when absent. */
  header?: string;
}

function matches(request: RequestOutcome, params: ResponseShareParams): boolean {
  if (request.status === null) return false;
  if (params.status !== undefined && request.status !== params.status) return false;
  return params.header === undefined || request.headers?.[params.header.toLowerCase()] !== undefined;
}

/**
 * Share of the load's requests sent in the window whose answer matches (a status, a header), in [0, 1]: the
 * client's own view, ground truth that a fallback answered (`status: 200, header: Shop-Degraded, min: 1`) or
 * that nothing was degraded (`header: Shop-Degraded, max: 0`). A request without an answer never matches.
 */
export const responseShare: AssertionKind<ResponseShareParams> = {
  name: "response_share",
  description: "Fraction of the load's requests in the window whose answer has the status and header given.",
  properties: {
    status: { type: "integer", minimum: 100, maximum: 599 },
    header: { type: "string", pattern: "^[A-Za-z0-9-]+$" },
  },
  required: [],
  bar: true,
  windowed: true,
  unit: "ratio",
  async evaluate(params, context) {
    const { startMillis, endMillis } = context.window;
    const requests = ((await context.history()).requests ?? []).filter(
      (request) => request.timeMillis >= startMillis && request.timeMillis < endMillis,
    );
    if (requests.length === 0) return { measured: null, reason: "no request of the load in the window" };
    const matching = requests.filter((request) => matches(request, params));
    const unanswered = requests.filter((request) => request.status === null).length;
    return {
      measured: matching.length / requests.length,
      details: { requests: requests.length, matching: matching.length, unanswered },
    };
  },
};
