import { Worker } from "node:worker_threads";
import { compiledFile } from "../paths.js";
import type { ApiServerData, ApiServerMessage } from "./server-worker.js";

export interface ApiServer {
  port: number;
  close(): Promise<void>;
}

/** Starts the query API (and UI) server in its worker thread and resolves once it listens. */
export function startApiServer(data: ApiServerData): Promise<ApiServer> {
  const worker = new Worker(compiledFile("collector/api/server-worker.ts"), { workerData: data });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) =>
      reject(new Error(`API server thread exited with code ${code} while starting`)),
    );
    worker.on("message", (message: ApiServerMessage) => {
      if (message.type === "failed") {
        void worker.terminate();
        reject(new Error(`API server cannot listen on ${data.host}:${data.port}: ${message.message}`));
        return;
      }
      let closing: Promise<void> | undefined;
      resolve({
        port: message.port,
        close() {
          closing ??= (async () => {
            worker.postMessage({ type: "close" });
            await exited;
          })();
          return closing;
        },
      });
    });
  });
}
