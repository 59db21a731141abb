import { Socket } from "node:net";

/**
 * What one request through a link got back: `answered` (bytes), `closed` (an orderly close with no bytes),
 * `reset` (ECONNRESET), `silent` (nothing at all within the wait), `refused`, or `error`.
 */
export type LinkOutcome = "answered" | "closed" | "reset" | "silent" | "refused" | "error";

export interface LinkProbeResult {
  readonly outcome: LinkOutcome;
  /** From writing the request to the first byte (or the close); null when nothing came back. */
  readonly responseMillis: number | null;
  /** Size of the first chunk received; bandwidth faults delay it by size / rate. */
  readonly firstChunkBytes: number;
}

/** Both prove that the link carries traffic in both directions. */
export const answered = (outcome: LinkOutcome): boolean => outcome === "answered" || outcome === "closed";

/**
 * Almost every server answers these bytes at once, with data or by closing: HTTP/1 servers with a status
 * line, gRPC (HTTP/2) with GOAWAY, Redis with an error (a GET with the wrong number of arguments), Kafka by
 * closing. No Host header: Redis treats one as a cross-protocol attack and logs a warning.
 */
export const PROBE_REQUEST = "GET / HTTP/1.0\r\n\r\n";

/** One request through a link (a proxy's listen address), bounded by `waitMillis`. */
export function probeLink(listen: string, waitMillis: number): Promise<LinkProbeResult> {
  const separator = listen.lastIndexOf(":");
  const host = listen.slice(0, separator);
  const port = Number(listen.slice(separator + 1));
  return new Promise((resolve) => {
    const socket = new Socket();
    let sentAt = 0;
    let settled = false;
    const done = (outcome: LinkOutcome, firstChunkBytes = 0) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const responseMillis =
        outcome === "answered" || outcome === "closed" ? performance.now() - sentAt : null;
      socket.destroy();
      resolve({ outcome, responseMillis, firstChunkBytes });
    };
    const timer = setTimeout(() => done("silent"), waitMillis);
    socket.once("connect", () => {
      sentAt = performance.now();
      socket.write(PROBE_REQUEST);
    });
    socket.once("data", (chunk: Buffer) => done("answered", chunk.length));
    socket.once("end", () => done("closed"));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      done(error.code === "ECONNRESET" ? "reset" : error.code === "ECONNREFUSED" ? "refused" : "error"),
    );
    socket.connect(port, host);
  });
}

/**
 * Up to `samples` probes one after another, stopping at the first that gets no answer (the rest would only
 * wait as long again); the median response time of those that were answered.
 */
export async function sampleLink(
  listen: string,
  samples: number,
  waitMillis: number,
): Promise<{ results: LinkProbeResult[]; medianMillis: number | null }> {
  const results: LinkProbeResult[] = [];
  for (let i = 0; i < samples; i++) {
    const result = await probeLink(listen, waitMillis);
    results.push(result);
    if (!answered(result.outcome)) break;
  }
  const times = results
    .map((result) => result.responseMillis)
    .filter((millis): millis is number => millis !== null)
    .sort((a, b) => a - b);
  return {
    results,
    medianMillis: times.length === 0 ? null : (times[Math.floor(times.length / 2)] as number),
  };
}
