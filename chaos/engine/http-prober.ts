import type { HttpProber } from "../experiment/assertions/types.js";
import { assertLoopback } from "../load/loopback.js";

/** Steady-state probes over HTTP to a service's nodes; no answer (or no node) is status null, never a throw. */
export function httpProber(resolve: (service: string) => string): HttpProber {
  return {
    async request(request, signal) {
      try {
        const url = assertLoopback(new URL(request.path, resolve(request.service)).toString());
        const response = await fetch(url, {
          method: request.method,
          signal: AbortSignal.any([signal, AbortSignal.timeout(request.timeoutMillis)]),
        });
        await response.arrayBuffer();
        return { status: response.status };
      } catch {
        return { status: null };
      }
    },
  };
}
