import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Registry } from "prom-client";

/** The process's one Prometheus registry: default process and Node.js metrics, plus every agent metric. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/**
 * Serves the registry in the Prometheus text format. Its signature fits both node:http and express, so a
 * service mounts it on its own router or lets `serveMetrics` serve it.
 */
export function metricsHandler(_request: IncomingMessage, response: ServerResponse): void {
  registry.metrics().then(
    (body) => {
      response.writeHead(200, { "content-type": registry.contentType });
      response.end(body);
    },
    (error: unknown) => {
      response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      response.end(`collecting metrics failed: ${String(error)}\n`);
    },
  );
}

/**
 * Serves `metricsHandler` on 127.0.0.1 (port 0 picks a free port) and resolves with the bound port. The
 * server does not keep the process alive: a service stops when its real work stops.
 */
export function serveMetrics(port = 0): Promise<number> {
  const server = createServer(metricsHandler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.unref();
      resolve((server.address() as AddressInfo).port);
    });
  });
}
