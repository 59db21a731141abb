import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_SECURITY_POLICY, cookieValue, TOKEN_COOKIE } from "../../dashboards/serve.js";
import {
  type Browser,
  buildUi,
  type LoadedCollector,
  launchBrowser,
  openPage,
  startLoadedCollector,
  visit,
} from "./harness.js";

const TOKEN = "s3cret-token";

describe("the collector serving the UI", () => {
  let open: LoadedCollector;

  beforeAll(async () => {
    await buildUi();
    open = await startLoadedCollector();
  });

  afterAll(async () => {
    await open?.close();
  });

  it("serves the UI's files at / with their content types and a strict Content-Security-Policy", async () => {
    const expected: [string, RegExp][] = [
      ["/", /^text\/html; charset=utf-8$/],
      ["/app.js", /^text\/javascript; charset=utf-8$/],
      ["/app.css", /^text\/css; charset=utf-8$/],
      ["/favicon.svg", /^image\/svg\+xml/],
    ];
    for (const [path, type] of expected) {
      const response = await fetch(`${open.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toMatch(type);
      expect(response.headers.get("content-security-policy"), path).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("require-trusted-types-for 'script'");
    expect(CONTENT_SECURITY_POLICY).not.toContain("unsafe");
    const html = await (await fetch(`${open.url}/`)).text();
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("answers 404 for unknown files and leaves the API's answers as they were", async () => {
    const missing = await fetch(`${open.url}/nothing-here.js`);
    expect(missing.status).toBe(404);
    const unknownApi = await fetch(`${open.url}/api/nothing`);
    expect(unknownApi.status).toBe(404);
    expect(unknownApi.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await fetch(`${open.url}/api/services`)).status).toBe(200);
  });

  it("reads one cookie out of a Cookie header", () => {
    expect(cookieValue("a=1; shakedown_token=x%3Dy; b=2", TOKEN_COOKIE)).toBe("x=y");
    expect(cookieValue("shakedown_token_old=1", TOKEN_COOKIE)).toBeUndefined();
    expect(cookieValue(undefined, TOKEN_COOKIE)).toBeUndefined();
  });
});

describe("a collector started with --token", () => {
  let guarded: LoadedCollector;
  let browser: Browser;

  beforeAll(async () => {
    await buildUi();
    guarded = await startLoadedCollector({ token: TOKEN });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await guarded?.close();
  });

  it("refuses the UI and the API without the token", async () => {
    for (const path of ["/", "/app.js", "/api/services", "/?token=wrong"]) {
      const response = await fetch(`${guarded.url}${path}`, { redirect: "manual" });
      expect(response.status, path).toBe(401);
      expect(((await response.json()) as { detail: string }).detail).toContain("/?token=");
    }
    const wrongCookie = await fetch(`${guarded.url}/`, { headers: { cookie: `${TOKEN_COOKIE}=wrong` } });
    expect(wrongCookie.status).toBe(401);
  });

  it("turns /?token= into an HttpOnly SameSite cookie and redirects to /", async () => {
    const response = await fetch(`${guarded.url}/?token=${TOKEN}`, { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("./");
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toContain(`${TOKEN_COOKIE}=${TOKEN}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const headers = { cookie: `${TOKEN_COOKIE}=${TOKEN}` };
    expect((await fetch(`${guarded.url}/`, { headers })).status).toBe(200);
    expect((await fetch(`${guarded.url}/api/services`, { headers })).status).toBe(200);
    const bearer = await fetch(`${guarded.url}/api/services`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(200);
  });

  it("lets a browser that visited /?token= once use every view", async () => {
    const { page, problems } = await openPage(browser.context);
    await page.goto(`${guarded.url}/?token=${TOKEN}`);
    expect(new URL(page.url()).search).toBe("");
    await visit(page, guarded.url, "#/map");
    await page.waitForSelector("a.node[data-service='orders']");
    await visit(page, guarded.url, "#/logs");
    await page.waitForSelector("a.trace-link");
    expect(problems).toEqual([]);
    await page.close();
  });
});
