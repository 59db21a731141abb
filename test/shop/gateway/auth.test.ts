import type { AddressInfo } from "node:net";
import express from "express";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthenticatedRequest, requireToken, tokenRoute } from "../../../fixtures/shop/gateway/auth.js";
import { jsonBody } from "../../../fixtures/shop/gateway/json-body.js";

const secret = new TextEncoder().encode("test-secret-test-secret-test-secret!");
const options = { secret, tokenTtlSeconds: 300 };
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("gateway authentication", () => {
  let base: string;
  let close: () => void;
  beforeAll(async () => {
    const app = express();
    app.post("/auth/token", jsonBody, tokenRoute(options));
    app.get("/me", requireToken(options), (request: AuthenticatedRequest, response) => {
      response.json({ userId: request.userId });
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close());

  const login = (body: string) =>
    fetch(`${base}/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const me = (token: string) => fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
  const problem = async (response: Response) => {
    expect(response.headers.get("content-type")).toMatch(/application\/problem\+json/);
    return (await response.json()) as { status: number; detail: string; type: string };
  };

  it("issues a token to a demo user that opens protected routes as that user", async () => {
    const response = await login('{"username":"alice","password":"alice"}');
    expect(response.status).toBe(200);
    const { token } = (await response.json()) as { token: string };
    const answer = await me(token);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ userId: "u-alice" });
  });

  it("refuses a wrong password with 401 and malformed JSON with 400, as problem details", async () => {
    const wrong = await login('{"username":"alice","password":"bob"}');
    expect(wrong.status).toBe(401);
    expect((await problem(wrong)).detail).toMatch(/wrong password/);
    const malformed = await login('{"username":');
    expect(malformed.status).toBe(400);
    expect((await problem(malformed)).detail).toMatch(/not valid JSON/);
  });

  it("refuses a request without a token", async () => {
    const response = await fetch(`${base}/me`);
    expect(response.status).toBe(401);
    expect((await problem(response)).detail).toMatch(/Authorization: Bearer/);
  });

  it("refuses an expired token, naming expiry", async () => {
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u-alice")
      .setIssuer("shakedown-shop")
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(secret);
    const response = await me(expired);
    expect(response.status).toBe(401);
    expect((await problem(response)).detail).toMatch(/expired/);
  });

  it("refuses an alg:none token that claims to be alice", async () => {
    const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "u-alice", iss: "shakedown-shop" })}.`;
    const response = await me(unsigned);
    expect(response.status).toBe(401);
    expect((await problem(response)).detail).toMatch(/not valid|not allowed/);
  });

  it("refuses a token signed with another secret", async () => {
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u-alice")
      .setIssuer("shakedown-shop")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("another-secret-another-secret-another"));
    expect((await me(forged)).status).toBe(401);
  });
});
