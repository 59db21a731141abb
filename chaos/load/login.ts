import type { FloodLogin } from "../experiment/types.js";
import { LoginError } from "./errors.js";
import { assertLoopback } from "./loopback.js";

/**
 * Sends a flood's login once (POST, JSON body) and returns the `token` of its JSON answer, which the flood
 * puts wherever its request template says `{{token}}` (an `Authorization: Bearer {{token}}` header).
 */
export async function logIn(
  login: FloodLogin,
  baseUrl: string,
  timeoutMillis: number,
  signal: AbortSignal,
): Promise<string> {
  const url = assertLoopback(new URL(login.path, baseUrl).toString()).toString();
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(login.body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMillis)]),
    });
  } catch (error) {
    throw new LoginError(url, `got no answer: ${(error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) throw new LoginError(url, `answered ${response.status}: ${text.slice(0, 200)}`);
  let token: unknown;
  try {
    token = (JSON.parse(text) as { token?: unknown }).token;
  } catch {
    token = undefined;
  }
  if (typeof token !== "string" || token === "")
    throw new LoginError(url, `answered ${response.status} without a "token" string in its JSON body`);
  return token;
}
