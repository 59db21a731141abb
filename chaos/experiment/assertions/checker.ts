import { check } from "../../checkers/compose.js";
import { checkers } from "../../checkers/registry.js";
import type { AssertionKind } from "./types.js";

interface CheckerParams {
  checker: string;
  config?: object;
}

/** Runs a registered checker on the run's ground truth; its verdict is the assertion's. */
export const checker: AssertionKind<CheckerParams> = {
  name: "checker",
  description: "A ground-truth checker (exactly_once, admitted_rate, ...) over the whole run's history.",
  properties: { checker: { type: "string", pattern: "^[a-z][a-z0-9_]*$" }, config: { type: "object" } },
  required: ["checker"],
  bar: false,
  windowed: false,
  unit: "",
  async evaluate(params, context) {
    const named = checkers[params.checker];
    if (named === undefined)
      return { measured: null, valid: "unknown", reason: `no checker "${params.checker}"` };
    const { valid, reason, traceIds, ...details } = check(
      named,
      await context.history(),
      params.config ?? {},
    );
    return {
      measured: null,
      valid,
      ...(reason === undefined ? {} : { reason }),
      ...(traceIds === undefined ? {} : { traceIds }),
      details,
    };
  },
};
