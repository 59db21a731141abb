import { KNOWN } from "../test/dashboards/fixtures.js";
import { buildUi, launchBrowser, openPage, startLoadedCollector, visit } from "../test/dashboards/harness.js";

/**
 * Time to show the 5,000-span fixture trace in Chromium, from the UI's own performance marks:
 * - `trace-render`: from asking the API for the trace to the first paint of its waterfall (fetching the
 *   spans and their logs, laying them out, building the rows, layout and paint);
 * - `trace-build`: the same without the two API requests.
 * Run: npm run build && node dist/bench/trace-render.js
 */
const RUNS = 7;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

await buildUi();
const loaded = await startLoadedCollector();
const browser = await launchBrowser();
try {
  const { page, problems } = await openPage(browser.context);
  const render: number[] = [];
  const build: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // A fresh document each time, so nothing is cached in the page.
    await page.goto("about:blank");
    await visit(page, loaded.url, `#/trace/${KNOWN.bigTraceId}`);
    await page.waitForSelector(".waterfall[data-painted='true']", { timeout: 60_000 });
    const measures = await page.evaluate(
      "['trace-render', 'trace-build'].map((name) => performance.getEntriesByName(name, 'measure')[0].duration)",
    );
    const [renderMillis, buildMillis] = measures as [number, number];
    render.push(renderMillis);
    build.push(buildMillis);
  }
  if (problems.length > 0) throw new Error(`the page reported problems:\n${problems.join("\n")}`);
  const spans = await page.locator(".span-row").count();
  const round = (values: number[]) => values.map((v) => Math.round(v));
  console.log(
    JSON.stringify(
      {
        spans,
        runs: RUNS,
        renderMillis: { median: Math.round(median(render)), all: round(render) },
        buildMillis: { median: Math.round(median(build)), all: round(build) },
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  await loaded.close();
}
