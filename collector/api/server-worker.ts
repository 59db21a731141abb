import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import express from "express";
import { dashboardRouter, tokenGate } from "../../dashboards/serve.js";
import { openDatabase } from "../store/schema.js";
import { createApiRouter } from "./router.js";

/**
 * The query API and UI server, on a thread of its own: better-sqlite3 queries are synchronous, and a slow one
 * (a dependency graph over hours of spans) must not stall the OTLP receivers on the main thread.
 */

export interface ApiServerData {
  dbPath: string;
  host: string;
  port: number;
  token?: string;
}

export type ApiServerMessage = { type: "listening"; port: number } | { type: "failed"; message: string };

const port = parentPort;
if (port === null) throw new Error("api server-worker must run as a worker thread");
const options = workerData as ApiServerData;

const db = openDatabase(options.dbPath, { readonly: true });
const app = express();
app.disable("x-powered-by");
// The bearer token, or for browsers the same token as a cookie (set by visiting /?token=…), guards everything.
app.use(tokenGate(options.token));
app.get("/healthz", (_request, response) => {
  response.json({ status: "ok" });
});
app.use("/api", createApiRouter(db));
app.use(dashboardRouter());

const server = app.listen(options.port, options.host);
server.once("error", (error) => {
  port.postMessage({ type: "failed", message: error.message } satisfies ApiServerMessage);
});
server.once("listening", () => {
  port.postMessage({
    type: "listening",
    port: (server.address() as AddressInfo).port,
  } satisfies ApiServerMessage);
});
port.on("message", (message: { type: "close" }) => {
  if (message.type !== "close") return;
  server.close(() => {
    db.close();
    port.close();
  });
  server.closeAllConnections();
});
