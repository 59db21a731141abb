import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * Free TCP ports on loopback for the nodes the engine starts. A port the kernel hands out for port 0 comes from
 * the ephemeral range, which outgoing connections draw from too: between choosing such a port and the node
 * binding it, a client socket may take it (EADDRINUSE). So ports are drawn below the ephemeral range, where
 * the kernel never picks a client port, and checked free by binding them once.
 */

const LOWEST = 10_000;

function ephemeralStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    return low !== undefined && Number.isInteger(low) ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const HIGHEST = ephemeralStart() - 1;
const handedOut = new Set<number>();

function bindable(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : null));
    });
  });
}

export async function freePort(): Promise<number> {
  if (HIGHEST - LOWEST > 1000) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const candidate = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST));
      // Never the same port twice in one process: two nodes of one topology are chosen before either binds.
      if (handedOut.has(candidate)) continue;
      if ((await bindable(candidate)) !== null) {
        handedOut.add(candidate);
        return candidate;
      }
    }
  }
  const port = await bindable(0);
  if (port === null) throw new Error("no free loopback port");
  return port;
}
