import { Socket } from "node:net";
import type { Probe } from "./node-spec.js";

/** Healthy once something accepts a TCP connection on the port. */
export function tcpProbe(port: number, host = "127.0.0.1"): Probe {
  return {
    description: `tcp ${host}:${port}`,
    check: (signal) =>
      new Promise((resolve) => {
        const socket = new Socket();
        const done = (ok: boolean) => {
          socket.destroy();
          resolve(ok);
        };
        signal.addEventListener("abort", () => done(false), { once: true });
        socket.once("connect", () => done(true));
        socket.once("error", () => done(false));
        socket.connect(port, host);
      }),
  };
}

/** Healthy once a GET answers 2xx. */
export function httpProbe(url: string): Probe {
  return {
    description: `GET ${url}`,
    check: async (signal) => {
      try {
        const response = await fetch(url, { signal });
        await response.arrayBuffer();
        return response.ok;
      } catch {
        return false;
      }
    },
  };
}
