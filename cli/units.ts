/** Parsers for the human units flags take ("24h", "2GB", "5s"); each throws a message naming the bad value. */

const DURATION_MILLIS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const BYTES: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (match === null)
    throw new Error(`"${text}" is not a duration; use a number with ms, s, m, h or d (e.g. 24h)`);
  return Number(match[1]) * (DURATION_MILLIS[match[2] as string] as number);
}

export function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/i.exec(text.trim());
  if (match === null)
    throw new Error(`"${text}" is not a size; use a number with B, KB, MB, GB or TB (e.g. 2GB)`);
  return Math.floor(Number(match[1]) * (BYTES[(match[2] ?? "b").toLowerCase()] as number));
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`"${text}" is not a port (0-65535)`);
  return port;
}

export function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`"${text}" is not a positive integer`);
  return n;
}
