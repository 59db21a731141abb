import { Socket } from "node:net";
import { type ChannelCredentials, credentials, loadPackageDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath } from "grpc-health-check";
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

// biome-ignore lint/suspicious/noExplicitAny: the generated package object is untyped.
const healthPackage = loadPackageDefinition(loadSync(protoPath, { enums: String })) as any;
interface HealthCheckClient {
  check(
    request: { service: string },
    options: { deadline: number },
    callback: (error: Error | null, response?: { status?: string }) => void,
  ): void;
  close(): void;
}
const HealthClient = healthPackage.grpc.health.v1.Health as new (
  address: string,
  channelCredentials: ChannelCredentials,
) => HealthCheckClient;

/** Healthy once the gRPC health checking protocol answers SERVING for the service ("" for the server). */
export function grpcHealthProbe(address: string, service = ""): Probe {
  return {
    description: `grpc health ${address}${service ? ` ${service}` : ""}`,
    check: (signal) =>
      new Promise((resolve) => {
        const client = new HealthClient(address, credentials.createInsecure());
        const done = (ok: boolean) => {
          client.close();
          resolve(ok);
        };
        signal.addEventListener("abort", () => done(false), { once: true });
        client.check(
          { service },
          { deadline: Date.now() + 1000 },
          (error: Error | null, response?: { status?: string }) =>
            done(error === null && response?.status === "SERVING"),
        );
      }),
  };
}
