import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { crashPoints } from "./crash-points.js";
import { currentFault, FaultValidationError, parseFault, setFault } from "./faults.js";
import { metricsHandler } from "./metrics.js";
import { flushAgent } from "./sdk.js";
import { switchboard } from "./switches.js";

/**
 * The agent's control endpoint: experiments and negative controls turn defenses off and on and inject
 * in-process faults here, in a running process.
 *
 *   GET    /control                  switches and the active fault
 *   PUT    /control/switches/{name}  {"enabled": false}
 *   PUT    /control/fault            {"errorRate": 1, "addedLatencyMillis": 0, "jitterMillis": 0, "operations": []}
 *   DELETE /control/fault
 *   PUT    /control/crash-points/{name}  {"armed": true}: the process SIGKILLs itself when it next reaches it
 *   POST   /control/telemetry/flush  exports the telemetry held for the next batch now; 204 once the collector took it
 */

const MAX_BODY_BYTES = 64 * 1024;

function send(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  const problem = status >= 400;
  response.writeHead(status, { "content-type": problem ? "application/problem+json" : "application/json" });
  response.end(JSON.stringify(body));
}

function problem(response: ServerResponse, status: number, detail: string): void {
  const titles: Record<number, string> = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    503: "Service Unavailable",
  };
  send(response, status, { type: "about:blank", title: titles[status] ?? "Error", status, detail });
}

function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy();
        reject(new FaultValidationError("(body)", `is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (error) {
        reject(new FaultValidationError("(body)", `is not valid JSON: ${(error as Error).message}`));
      }
    });
    request.on("error", reject);
  });
}

function state() {
  return { switches: switchboard.snapshot(), fault: currentFault(), crashPoints: crashPoints.snapshot() };
}

export async function controlHandler(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  try {
    if (path === "/control" && request.method === "GET") {
      send(response, 200, state());
      return;
    }
    const switchName = /^\/control\/switches\/([^/]+)$/.exec(path)?.[1];
    if (switchName !== undefined) {
      if (request.method !== "PUT") return problem(response, 405, 'use PUT with {"enabled": true|false}');
      const name = decodeURIComponent(switchName);
      const found = switchboard.get(name);
      if (found === undefined) {
        return problem(
          response,
          404,
          `no switch named ${name}; known: ${Object.keys(switchboard.snapshot()).join(", ")}`,
        );
      }
      const body = (await readJson(request)) as { enabled?: unknown };
      if (typeof body !== "object" || body === null || typeof body.enabled !== "boolean") {
        return problem(response, 400, 'body must be {"enabled": true} or {"enabled": false}');
      }
      found.set(body.enabled);
      send(response, 200, state());
      return;
    }
    const crashPointName = /^\/control\/crash-points\/([^/]+)$/.exec(path)?.[1];
    if (crashPointName !== undefined) {
      if (request.method !== "PUT") return problem(response, 405, 'use PUT with {"armed": true|false}');
      const name = decodeURIComponent(crashPointName);
      const point = crashPoints.get(name);
      if (point === undefined) {
        const known = Object.keys(crashPoints.snapshot()).join(", ") || "none";
        return problem(response, 404, `no crash point named ${name}; known: ${known}`);
      }
      const body = (await readJson(request)) as { armed?: unknown };
      if (typeof body !== "object" || body === null || typeof body.armed !== "boolean") {
        return problem(response, 400, 'body must be {"armed": true} or {"armed": false}');
      }
      point.arm(body.armed);
      send(response, 200, state());
      return;
    }
    if (path === "/control/fault") {
      if (request.method === "PUT") {
        setFault(parseFault(await readJson(request)));
        send(response, 200, state());
      } else if (request.method === "DELETE") {
        setFault(null);
        send(response, 204);
      } else {
        problem(response, 405, "use PUT to set the fault or DELETE to clear it");
      }
      return;
    }
    if (path === "/control/telemetry/flush") {
      if (request.method !== "POST") return problem(response, 405, "use POST to flush the telemetry");
      try {
        await flushAgent();
      } catch (error) {
        return problem(response, 503, `the telemetry could not be exported: ${String(error)}`);
      }
      send(response, 204);
      return;
    }
    problem(response, 404, `no control endpoint at ${request.method} ${path}`);
  } catch (error) {
    if (error instanceof FaultValidationError) problem(response, 400, error.message);
    else problem(response, 400, String(error));
  }
}

/**
 * One loopback HTTP server per process for operators and the engine: `/metrics` for the scraper and
 * `/control` for switches and faults. `host` is a loopback address: 127.0.0.1, or the process's own address
 * when it runs in a network namespace of its own. Resolves with the bound port; does not keep the process alive.
 */
export function serveAdmin(port = 0, host = "127.0.0.1"): Promise<number> {
  const server = createServer((request, response) => {
    if ((request.url ?? "").split("?")[0] === "/metrics") metricsHandler(request, response);
    else void controlHandler(request, response);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.unref();
      resolve((server.address() as AddressInfo).port);
    });
  });
}
