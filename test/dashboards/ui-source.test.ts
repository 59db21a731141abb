import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../collector/paths.js";

const UI = join(projectRoot, "dashboards", "ui");
const sources = (readdirSync(UI, { recursive: true }) as string[])
  .filter((file) => /\.(js|ts|html|css)$/.test(file))
  .map((file) => ({ file, text: readFileSync(join(UI, file), "utf8") }));

describe("the UI's sources", () => {
  it("use no HTML sink: telemetry only ever becomes text", () => {
    const sinks =
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser|srcdoc/;
    expect(sources.length).toBeGreaterThan(10);
    expect(sources.filter((s) => sinks.test(s.text)).map((s) => s.file)).toEqual([]);
  });

  it("load nothing from another origin: no CDN, no remote fonts", () => {
    const remote = /(?:src|href|url|@import)\s*[=(]?\s*["']?(?:https?:)?\/\/(?!www\.w3\.org\/2000\/svg)/i;
    expect(sources.filter((s) => remote.test(s.text)).map((s) => s.file)).toEqual([]);
  });
});
