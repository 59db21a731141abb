import { timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import express, { type RequestHandler } from "express";
import { projectRoot } from "../collector/paths.js";
import { bearerAllows } from "../collector/receivers/auth.js";

/** Where `npm run build` puts the bundled UI (dashboards/build.mjs). */
export const UI_ROOT = join(projectRoot, "dist", "dashboards", "public");

/** The cookie that carries `--token` for a browser, which cannot add an Authorization header to page loads. */
export const TOKEN_COOKIE = "shakedown_token";

/**
 * The UI loads only its own script and stylesheet and talks only to its own origin. No inline script or style is
 * needed (styles are set through the CSSOM), and Trusted Types make any HTML sink (`innerHTML` with a string)
 * throw, so a telemetry string can never become markup.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One named cookie from a Cookie header; parsed here since the gate reads a single cookie and nothing else. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at === -1 || part.slice(0, at).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Admits a request that carries the collector's token as `Authorization: Bearer <token>` or as the
 * `shakedown_token` cookie; without a token configured it admits everything. Visiting `/?token=<token>` once
 * sets the cookie (HttpOnly, SameSite=Strict) and redirects to `/`, so the token leaves the address bar.
 */
export function tokenGate(token: string | undefined): RequestHandler {
  return (request, response, next) => {
    if (token === undefined || token === "") {
      next();
      return;
    }
    const offered = request.query.token;
    if (
      request.method === "GET" &&
      request.path === "/" &&
      typeof offered === "string" &&
      sameSecret(offered, token)
    ) {
      response.cookie(TOKEN_COOKIE, token, { httpOnly: true, sameSite: "strict", path: "/" });
      response.set("Referrer-Policy", "no-referrer");
      response.redirect(303, "./");
      return;
    }
    if (
      bearerAllows(token, request.headers.authorization) ||
      sameSecret(cookieValue(request.headers.cookie, TOKEN_COOKIE), token)
    ) {
      next();
      return;
    }
    response.status(401).type("application/problem+json").json({
      type: "urn:shakedown:problem:unauthorized",
      title: "Unauthorized",
      status: 401,
      detail:
        "this collector requires its token: send Authorization: Bearer <token>, or open /?token=<token> once in a browser",
    });
  };
}

/**
 * Serves the built UI at `/`: index.html, app.js, app.css and the favicon, with their content types, the
 * security headers above, and revalidation on every load (the files are not content-hashed).
 */
export function dashboardRouter(root: string = UI_ROOT): express.Router {
  const router = express.Router();
  router.use((_request, response, next) => {
    response.set(SECURITY_HEADERS);
    next();
  });
  router.use(
    express.static(root, {
      index: "index.html",
      dotfiles: "ignore",
      redirect: false,
      setHeaders: (response) => response.set("Cache-Control", "no-cache"),
    }),
  );
  router.use((request, response) => {
    const built = existsSync(join(root, "index.html"));
    response
      .status(built ? 404 : 503)
      .type("text/plain")
      .send(
        built
          ? `not found: ${request.path}`
          : `the dashboards are not built (no ${join(root, "index.html")}): run npm run build`,
      );
  });
  return router;
}
