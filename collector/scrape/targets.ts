import { BadDataError } from "../errors.js";
import type { ResourceRow, ScopeRow } from "../model.js";

/** One `/metrics` endpoint and the job (service) it belongs to. */
export interface ScrapeTarget {
  url: string;
  job: string;
}

/** The OpenTelemetry mapping asks for a scope naming whoever translated the Prometheus data. */
export const SCRAPE_SCOPE: ScopeRow = {
  name: "shakedown.prometheus-scraper",
  version: "1",
  attributes: "{}",
  droppedAttributesCount: 0,
  schemaUrl: "",
};

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

function targetUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadDataError(`scrape target ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BadDataError(`scrape target ${text} must use http or https, not ${url.protocol}`);
  }
  // fetch refuses URLs with credentials; say so now rather than on every scrape.
  if (url.username !== "" || url.password !== "") {
    throw new BadDataError(`scrape target ${url.host} must not carry credentials in its URL`);
  }
  return url;
}

/** `host:port` of the URL, the Prometheus `instance` label and OpenTelemetry's `service.instance.id`. */
export function instanceOf(url: URL): string {
  return `${url.hostname}:${url.port || DEFAULT_PORTS[url.protocol]}`;
}

/** The URL in canonical form, so one endpoint has one key. */
export function canonicalUrl(text: string): string {
  const url = targetUrl(text);
  url.hash = "";
  return url.href;
}

export function checkTarget(target: ScrapeTarget): ScrapeTarget {
  const url = canonicalUrl(target.url);
  if (target.job.trim() === "") throw new BadDataError(`scrape target ${url} has an empty job name`);
  return { url, job: target.job.trim() };
}

/**
 * Parses the `--scrape` flag: comma-separated `job=url` entries, or bare URLs whose job is their `host:port`.
 * Only these targets are scraped; there is no default target.
 */
export function parseTargets(spec: string): ScrapeTarget[] {
  const targets: ScrapeTarget[] = [];
  const seen = new Set<string>();
  for (const entry of spec.split(",")) {
    const text = entry.trim();
    if (text === "") continue;
    // A job name has no ":" or "/", which tells "job=url" apart from a bare URL with "=" in its query.
    const named = /^([^=:/]+)=(.*)$/.exec(text);
    const urlText = (named?.[2] ?? text).trim();
    const target = checkTarget({ url: urlText, job: named?.[1] ?? instanceOf(targetUrl(urlText)) });
    if (seen.has(target.url)) throw new BadDataError(`scrape target ${target.url} is listed twice`);
    seen.add(target.url);
    targets.push(target);
  }
  return targets;
}

/** The resource of a target's series, with the attributes the OpenTelemetry mapping asks for. */
export function targetResource(target: ScrapeTarget, targetInfo: Record<string, string> = {}): ResourceRow {
  const url = new URL(target.url);
  const instance = instanceOf(url);
  // Label names cannot contain dots, so target_info labels never collide with these keys.
  const attributes = Object.fromEntries([
    ["service.name", target.job],
    ["service.instance.id", instance],
    // URL.hostname keeps an IPv6 address's brackets, which are URL syntax rather than part of the address.
    ["server.address", url.hostname.replace(/^\[(.*)\]$/, "$1")],
    ["server.port", Number(url.port || DEFAULT_PORTS[url.protocol])],
    ["url.scheme", url.protocol.slice(0, -1)],
    ...Object.keys(targetInfo)
      .sort()
      .map((key) => [key, targetInfo[key]]),
  ]);
  return {
    attributes: JSON.stringify(attributes),
    droppedAttributesCount: 0,
    schemaUrl: "",
    serviceName: target.job,
    serviceInstanceId: instance,
  };
}
