import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ToxiproxyServer } from "../chaos/faults/network/toxiproxy.js";

export interface RoundTrips {
  medianMillis: number;
  p99Millis: number;
}

export interface ToxiproxyOverheadResult {
  roundTrips: number;
  payloadBytes: number;
  direct: RoundTrips;
  proxied: RoundTrips;
  /** proxied median / direct median, in the same run. */
  medianRatio: number;
  /** What the proxy adds to each round trip (proxied median - direct median). */
  addedMedianMillis: number;
}

const ROUND_TRIPS = 2_000;
const WARM_UP = 200;
const PAYLOAD_BYTES = 64;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** A TCP echo server on loopback in a process of its own, as a node would be; stopped by its PID. */
async function echoServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const script = `
    const server = require("node:net").createServer((socket) => socket.pipe(socket));
    server.listen(0, "127.0.0.1", () => console.log(server.address().port));
  `;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once("exit", (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  return {
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Sequential echo round trips over one connection, each timed alone. */
async function roundTrips(host: string, port: number): Promise<RoundTrips> {
  const socket = new Socket();
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.connect(port, host, resolve);
  });
  socket.setNoDelay(true);
  const payload = Buffer.alloc(PAYLOAD_BYTES, 7);
  const timings: number[] = [];
  try {
    for (let i = 0; i < WARM_UP + ROUND_TRIPS; i++) {
      const started = performance.now();
      await new Promise<void>((resolve) => {
        let received = 0;
        const onData = (chunk: Buffer) => {
          received += chunk.length;
          if (received >= PAYLOAD_BYTES) {
            socket.off("data", onData);
            resolve();
          }
        };
        socket.on("data", onData);
        socket.write(payload);
      });
      if (i >= WARM_UP) timings.push(performance.now() - started);
    }
  } finally {
    socket.destroy();
  }
  timings.sort((a, b) => a - b);
  return { medianMillis: quantile(timings, 0.5), p99Millis: quantile(timings, 0.99) };
}

/** Round trips to a TCP echo server directly and through a Toxiproxy proxy with no toxic, in the same run. */
export async function benchToxiproxyOverhead(): Promise<ToxiproxyOverheadResult> {
  const stateDir = mkdtempSync(join(tmpdir(), "shakedown-bench-toxiproxy-"));
  const echo = await echoServer();
  const toxiproxy = await ToxiproxyServer.start({ stateDir });
  try {
    const link = await toxiproxy.addLink("bench", "echo", { host: "127.0.0.1", port: echo.port });
    const [proxyHost, proxyPort] = link.listen.split(":") as [string, string];
    const direct = await roundTrips("127.0.0.1", echo.port);
    const proxied = await roundTrips(proxyHost, Number(proxyPort));
    return {
      roundTrips: ROUND_TRIPS,
      payloadBytes: PAYLOAD_BYTES,
      direct,
      proxied,
      medianRatio: proxied.medianMillis / direct.medianMillis,
      addedMedianMillis: proxied.medianMillis - direct.medianMillis,
    };
  } finally {
    await toxiproxy.stop();
    await echo.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchToxiproxyOverhead();
  const ms = (n: number) => `${n.toFixed(3)} ms`;
  console.log(
    `toxiproxy overhead: ${result.roundTrips} echo round trips of ${result.payloadBytes} bytes; ` +
      `direct median ${ms(result.direct.medianMillis)} (p99 ${ms(result.direct.p99Millis)}), ` +
      `through a proxy with no toxic median ${ms(result.proxied.medianMillis)} (p99 ${ms(result.proxied.p99Millis)}); ` +
      `ratio ${result.medianRatio.toFixed(2)}, +${ms(result.addedMedianMillis)} per round trip`,
  );
}
