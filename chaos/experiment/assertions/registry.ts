import { checker } from "./checker.js";
import { errorRate } from "./error-rate.js";
import { http } from "./http.js";
import { latencyOverBaseline } from "./latency-over-baseline.js";
import { latencyQuantile } from "./latency-quantile.js";
import { metricCount } from "./metric-count.js";
import { metricRate } from "./metric-rate.js";
import { responseShare } from "./response-share.js";
import { spanCount } from "./span-count.js";
import { sql } from "./sql.js";
import { timeToDetect } from "./time-to-detect.js";
import { timeToRecover } from "./time-to-recover.js";
import type { AssertionKind } from "./types.js";

/** Every probe and assertion kind by the snake_case name experiment files use. */
export const assertionKinds: Readonly<Record<string, AssertionKind>> = Object.fromEntries(
  [
    errorRate,
    latencyQuantile,
    latencyOverBaseline,
    metricCount,
    metricRate,
    responseShare,
    spanCount,
    sql,
    http,
    checker,
    timeToDetect,
    timeToRecover,
  ].map((kind) => [kind.name, kind as AssertionKind]),
);
