import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../collector/paths.js";
import { FIXTURE_RUNS, storeFixtureRuns } from "../helpers/runs.js";
import { KNOWN } from "./fixtures.js";
import { buildUi, launchBrowser, openPage, screenshot, startLoadedCollector, visit } from "./harness.js";

/**
 * Renders the README's screenshots (1280 wide) of the overview, a trace, the service map (1280×800 each) and a
 * whole experiment run's page, from the fixture shop and fixture runs (the browser tests keep one of every view
 * in test-artifacts/dashboards/):
 *   npm run build && node dist/test/dashboards/docs-screenshots.js [output folder, default docs/screenshots]
 */
const out = process.argv[2] ?? join(projectRoot, "docs", "screenshots");
await buildUi();
const loaded = await startLoadedCollector();
storeFixtureRuns(loaded.dbPath);
const browser = await launchBrowser();
try {
  const { page, problems } = await openPage(browser.context);
  const shots: [string, string][] = [
    ["overview", "#/"],
    ["trace", `#/trace/${KNOWN.checkoutTraceId}?span=${KNOWN.producerSpanId}`],
    ["service-map", "#/map"],
  ];
  for (const [name, hash] of shots) {
    await visit(page, loaded.url, hash);
    // Charts draw on the next frame after their data arrives.
    await page.waitForTimeout(300);
    console.log(await screenshot(page, name, out));
  }
  await visit(page, loaded.url, `#/run/${FIXTURE_RUNS.controlRunId}`);
  await page.waitForSelector(".charts.three .chart[data-points]");
  await page.waitForTimeout(300);
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: join(out, "run.png"), fullPage: true });
  console.log(join(out, "run.png"));
  if (problems.length > 0) throw new Error(`the pages reported problems:\n${problems.join("\n")}`);
} finally {
  await browser.close();
  await loaded.close();
}
