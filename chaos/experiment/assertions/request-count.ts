import type { AssertionKind } from "./types.js";

interface RequestCountParams {
  status?: number;
}

/**
 * Counts the load's own requests, as the load generator recorded them (the ground truth, not the
 * services' spans), sent in the window: all of them, or those answered with one status. Unlike a server's
 * span, a request the client gave up on can never count as answered here.
 */
export const requestCount: AssertionKind<RequestCountParams> = {
  name: "request_count",
  description: "How many of the load's requests sent in the window were answered with a status.",
  properties: { status: { type: "integer", minimum: 100, maximum: 599 } },
  required: [],
  bar: true,
  windowed: true,
  unit: "requests",
  async evaluate(params, context) {
    const { startMillis, endMillis } = context.window;
    const sent = (await context.history()).requests?.filter(
      (request) => request.timeMillis >= startMillis && request.timeMillis < endMillis,
    );
    if (sent === undefined || sent.length === 0)
      return { measured: null, reason: "the load recorded no request in the window" };
    const counted = params.status === undefined ? sent : sent.filter((r) => r.status === params.status);
    const unanswered = sent.filter((request) => request.status === null).length;
    return { measured: counted.length, details: { sent: sent.length, unanswered } };
  },
};
