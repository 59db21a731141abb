import { timingSafeEqual } from "node:crypto";

/** Checks an `Authorization` header value against the configured bearer token; no token configured admits all. */
export function bearerAllows(token: string | undefined, header: string | undefined): boolean {
  if (token === undefined || token === "") return true;
  if (header === undefined) return false;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
