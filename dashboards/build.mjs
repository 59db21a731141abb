// Bundles the browser UI (dashboards/ui) into dist/dashboards/public, which the collector serves at `/`.
// esbuild: one dependency-free binary that bundles and minifies the UI and uPlot in well under a second.
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "ui");
const out = join(here, "..", "dist", "dashboards", "public");

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: join(source, "main.js") },
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  target: ["chrome111", "firefox115", "safari16.4"],
  outdir: out,
  legalComments: "linked",
  logLevel: "warning",
});
await Promise.all(["index.html", "favicon.svg"].map((file) => copyFile(join(source, file), join(out, file))));
