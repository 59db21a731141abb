import type Database from "better-sqlite3";
import express, { type NextFunction, type Request, type Response } from "express";
import { NotFoundError } from "../errors.js";
import { dependencyGraph } from "../query/dependencies.js";
import { searchLogs } from "../query/logs.js";
import { listSeries, queryMetric, seriesPoints } from "../query/metrics.js";
import { redMetrics } from "../query/red.js";
import { getRun, listRuns } from "../query/runs.js";
import { listServices } from "../query/services.js";
import { getTrace, searchTraces } from "../query/traces.js";
import {
  logSearchParams,
  metricQueryParams,
  metricsListParams,
  redParams,
  runParams,
  runSearchParams,
  seriesPointsParams,
  traceParams,
  traceSearchParams,
  windowParams,
} from "./params.js";
import { problemOf, sendProblem } from "./problem.js";

/** The read-only JSON query API, mounted by the collector at /api. Failures answer RFC 9457 problem details. */
export function createApiRouter(db: Database.Database): express.Router {
  const router = express.Router();
  const get = (path: string, answer: (request: Request) => unknown) => {
    router.get(path, (request, response) => {
      response.json(answer(request));
    });
  };

  get("/services", (request) => listServices(db, windowParams(request.originalUrl, Date.now())));
  get("/traces", (request) => searchTraces(db, traceSearchParams(request.originalUrl, Date.now())));
  get("/traces/:traceId", (request) =>
    getTrace(db, traceParams(request.originalUrl, String(request.params.traceId))),
  );
  get("/dependencies", (request) => dependencyGraph(db, windowParams(request.originalUrl, Date.now())));
  get("/red", (request) => redMetrics(db, redParams(request.originalUrl, Date.now())));
  get("/metrics", (request) => listSeries(db, metricsListParams(request.originalUrl)));
  get("/metrics/series/:id/points", (request) =>
    seriesPoints(db, seriesPointsParams(request.originalUrl, String(request.params.id), Date.now())),
  );
  get("/metrics/query", (request) => queryMetric(db, metricQueryParams(request.originalUrl, Date.now())));
  get("/logs", (request) => searchLogs(db, logSearchParams(request.originalUrl, Date.now())));
  get("/runs", (request) => listRuns(db, runSearchParams(request.originalUrl, Date.now())));
  get("/runs/:runId", (request) => getRun(db, runParams(request.originalUrl, String(request.params.runId))));

  router.use((request) => {
    throw new NotFoundError(`endpoint ${request.method} ${request.baseUrl}${request.path}`);
  });
  router.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    sendProblem(response, problemOf(error));
  });
  return router;
}
