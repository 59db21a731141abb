import { NotLoopbackError } from "./errors.js";

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

/** Throws NotLoopbackError unless the URL points at this machine's loopback (127.0.0.0/8, ::1, localhost). */
export function assertLoopback(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NotLoopbackError(url);
  }
  const host = parsed.hostname;
  const ipv4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!ipv4 && !LOOPBACK_HOSTS.has(host)) throw new NotLoopbackError(url);
  return parsed;
}
