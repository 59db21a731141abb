import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunDetail } from "../../collector/query/runs.js";
import { openRunStore } from "../../collector/store/runs.js";
import { FIXTURE_RUNS, storeFixtureRuns } from "../helpers/runs.js";
import {
  type Browser,
  buildUi,
  type LoadedCollector,
  launchBrowser,
  openPage,
  screenshot,
  startLoadedCollector,
  visit,
  type WatchedPage,
  waitReady,
} from "./harness.js";
import { MARKUP_RUN, storeMarkupRun } from "./runs-fixture.js";

/**
 * The experiment views in Debian's Chromium against a real collector holding the fixture shop's telemetry and
 * experiment runs written through the real run store (test/helpers/runs.ts), served by the real /api/runs.
 */
describe("the experiment views in a browser", () => {
  let loaded: LoadedCollector;
  let browser: Browser;
  let watched: WatchedPage;

  beforeAll(async () => {
    await buildUi();
    loaded = await startLoadedCollector();
    const nowMs = Date.now();
    storeFixtureRuns(loaded.dbPath, nowMs);
    storeMarkupRun(loaded.dbPath, nowMs);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await loaded?.close();
  });

  afterEach(async () => {
    await watched?.page.close();
  });

  const open = async (hash: string): Promise<WatchedPage> => {
    watched = await openPage(browser.context);
    await visit(watched.page, loaded.url, hash);
    return watched;
  };

  const runFromApi = async (runId: string): Promise<RunDetail> => {
    const response = await fetch(`${loaded.url}/api/runs/${runId}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { run: RunDetail }).run;
  };

  /** Usable at 1280×800: nothing runs off to the right. */
  const fitsWidth = (page: Page): Promise<boolean> =>
    page.evaluate("document.documentElement.scrollWidth <= window.innerWidth");

  it("lists the runs newest first with their outcomes", async () => {
    const { page, problems } = await open("#/runs");
    const rows = page.locator("table.runs-table tbody tr");
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run-id")))).toEqual([
      FIXTURE_RUNS.runningRunId,
      MARKUP_RUN.runId,
      FIXTURE_RUNS.controlRunId,
      FIXTURE_RUNS.experimentRunId,
    ]);
    const outcome = (runId: string) => page.locator(`tr[data-run-id='${runId}'] .badge`).textContent();
    expect(await outcome(FIXTURE_RUNS.experimentRunId)).toBe("passed");
    expect(await outcome(FIXTURE_RUNS.controlRunId)).toBe("failed as expected");
    expect(await outcome(FIXTURE_RUNS.runningRunId)).toBe("running");
    expect(await page.locator(`tr[data-run-id='${FIXTURE_RUNS.controlRunId}'] .role`).textContent()).toBe(
      "control: cache defenses off",
    );
    expect(
      await page.locator(`tr[data-run-id='${FIXTURE_RUNS.controlRunId}'] .assertions`).textContent(),
    ).toBe("1 of 3 held1 failed1 unknown");

    await page.selectOption("select[name='experiment']", "fixtures/experiments/catalog-kill.yaml");
    await page.waitForURL(/experiment=/);
    await waitReady(page);
    expect(await rows.count()).toBe(2);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, "view-runs");
    expect(problems).toEqual([]);
  });

  it("draws a run's phases and faults on a timeline and shades the fault windows on every chart", async () => {
    const run = await runFromApi(FIXTURE_RUNS.controlRunId);
    const { page, problems } = await open(`#/run/${FIXTURE_RUNS.controlRunId}`);
    expect(await page.locator(".run-title").textContent()).toBe("kill a catalog replica");
    expect(await page.locator(".run-header .badge").first().textContent()).toBe("failed as expected");
    expect(await page.locator(".control-note").textContent()).toContain("bloom_filter, null_caching");

    expect(
      await page.locator(".tl-phase").evaluateAll((els) => els.map((e) => e.getAttribute("data-phase"))),
    ).toEqual(["steady-state-before", "method", "steady-state-after"]);
    expect(await page.locator(".tl-fault").count()).toBe(run.faults.length);

    // Two charts of the load's own series and three of the collector's telemetry, each with both windows.
    const charts = page.locator(".chart");
    await page.waitForSelector(".charts.three .chart[data-points]");
    expect(await charts.count()).toBe(5);
    expect(await page.locator(".chart[data-bands='2']").count()).toBe(5);
    expect(
      Number(await page.locator(".charts.three .chart").first().getAttribute("data-points")),
    ).toBeGreaterThan(0);

    // The shading sits where the fault was injected and healed on the chart's time axis (the run's extent).
    const kill = run.faults.find((f) => f.id === "kill-catalog");
    if (kill?.injectedAtMs == null || kill.healedAtMs == null || run.endMs === null)
      throw new Error("fixture");
    const first = charts.first();
    const plot = await first.locator(".u-over").boundingBox();
    const band = await first.locator(".band[data-label='kill-catalog (kill)']").boundingBox();
    if (plot === null || band === null) throw new Error("no plot or no band");
    const x = (ms: number) =>
      plot.x + ((ms - run.startMs) / ((run.endMs as number) - run.startMs)) * plot.width;
    expect(Math.abs(band.x - x(kill.injectedAtMs))).toBeLessThan(1.5);
    expect(Math.abs(band.x + band.width - x(kill.healedAtMs))).toBeLessThan(1.5);
    expect(band.height).toBeGreaterThan(50);

    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, "view-run");
    expect(problems).toEqual([]);
  });

  it("shows each assertion's measured value against its bar, with its verdict and why", async () => {
    const { page, problems } = await open(`#/run/${FIXTURE_RUNS.controlRunId}`);
    const row = page.locator(".measurements tr[data-name='few errors']").first();
    expect(await row.locator(".measured").textContent()).toBe("31%");
    expect(await row.locator(".bar").textContent()).toBe("≤ 1%");
    expect(await row.locator(".badge").textContent()).toBe("failed");
    expect(await row.locator(".why").textContent()).toContain("bar ≤ 0.01");
    // On its scale the value lies right of the allowed range.
    const allowed = await row.locator(".meter-allowed").boundingBox();
    const value = await row.locator(".meter-value").boundingBox();
    if (allowed === null || value === null) throw new Error("no meter");
    expect(value.x).toBeGreaterThan(allowed.x + allowed.width);

    const latency = page.locator(".measurements tr[data-name='p99 latency']");
    expect(await latency.locator(".measured").textContent()).toBe("182 ms");
    expect(await latency.locator(".bar").textContent()).toBe("≤ 500 ms");
    expect(await latency.locator(".badge").textContent()).toBe("passed");
    const unknown = page.locator(".measurements tr[data-name='breaker opened']");
    expect(await unknown.locator(".measured").textContent()).toBe("not measured");
    expect(await unknown.locator(".badge").textContent()).toBe("unknown");
    expect(problems).toEqual([]);
  });

  it("links a failing request and a failed assertion to the trace of the request", async () => {
    const { page, problems } = await open(`#/run/${MARKUP_RUN.runId}`);
    const assertionLink = page.locator(".measurements a.trace-link");
    expect(await assertionLink.getAttribute("href")).toBe(`#/trace/${MARKUP_RUN.traceId}`);
    await page.locator(".failing-requests a.trace-link").click();
    await page.waitForURL(new RegExp(`#/trace/${MARKUP_RUN.traceId}$`));
    await waitReady(page);
    await page.waitForSelector(".span-row");
    expect(await page.locator(".trace-header h1").textContent()).toBe("gateway: POST /orders");
    expect(problems).toEqual([]);
  });

  it("compares a case with its negative control side by side", async () => {
    const { page, problems } = await open("#/runs");
    const caseRow = page.locator(`tr[data-run-id='${FIXTURE_RUNS.experimentRunId}']`);
    expect(await caseRow.locator("a.compare-link").getAttribute("href")).toBe(
      `#/compare?a=${FIXTURE_RUNS.experimentRunId}&b=${FIXTURE_RUNS.controlRunId}`,
    );
    // Ticked in either order, the case goes left.
    await page.check(`tr[data-run-id='${FIXTURE_RUNS.controlRunId}'] input[type='checkbox']`);
    await page.check(`tr[data-run-id='${FIXTURE_RUNS.experimentRunId}'] input[type='checkbox']`);
    await page.click("button:has-text('Compare the two ticked runs')");
    await page.waitForURL(/#\/compare\?/);
    await waitReady(page);
    expect(page.url()).toContain(`a=${FIXTURE_RUNS.experimentRunId}&b=${FIXTURE_RUNS.controlRunId}`);

    const cards = page.locator(".compare-card .run-header");
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute("data-run-id")))).toEqual([
      FIXTURE_RUNS.experimentRunId,
      FIXTURE_RUNS.controlRunId,
    ]);
    expect(await cards.locator(".badge").allTextContents()).toEqual(["passed", "failed as expected"]);
    expect(await page.locator(".compare-row .run-timeline").count()).toBe(2);
    for (const side of ["a", "b"]) {
      expect(await page.locator(`.charts[data-side='${side}'] .chart[data-bands='2']`).count()).toBe(2);
    }
    const row = page.locator(".comparison tr[data-name='few errors']").first();
    expect(await row.locator(".measured").allTextContents()).toEqual(["0.4%", "31%"]);
    expect(await row.locator(".badge").allTextContents()).toEqual(["passed", "failed"]);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, "view-compare");
    expect(problems).toEqual([]);
  });

  it("shows a run's markup as text everywhere and runs nothing", async () => {
    const markup = MARKUP_RUN.markup;
    const { page, problems, dialogs } = await open(`#/run/${MARKUP_RUN.runId}`);
    await page.waitForSelector(".charts.three .chart[data-points]");
    expect(await page.locator(".run-title").textContent()).toBe(markup);
    expect(await page.locator(".measurement-name").first().textContent()).toBe(MARKUP_RUN.assertionName);
    expect(await page.locator(".run-header").textContent()).toContain("<script>alert(2)</script>");
    expect(await page.locator(".control-note").textContent()).toContain(markup);
    expect(await page.locator(".tl-fault-name").first().textContent()).toContain(markup);
    expect(await page.locator(".band").first().getAttribute("data-label")).toBe(`kill ${markup} (kill)`);
    expect(await page.locator(".u-legend").first().textContent()).toContain(markup);

    await visit(page, loaded.url, "#/runs");
    expect(await page.locator(`tr[data-run-id='${MARKUP_RUN.runId}'] a.run-link`).textContent()).toBe(markup);
    await visit(page, loaded.url, `#/compare?a=${FIXTURE_RUNS.experimentRunId}&b=${MARKUP_RUN.runId}`);
    expect(await page.locator(".comparison .measurement-name").allTextContents()).toContain(
      MARKUP_RUN.assertionName,
    );
    // Give an injected image every chance to fail loading and fire its handler.
    await page.waitForLoadState("networkidle");
    expect(await page.locator("img, script:not([src])").count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("follows a running run live until it ends", async () => {
    const runId = "live-run";
    const store = openRunStore(loaded.dbPath);
    try {
      const startMs = Date.now() - 20_000;
      const planned = {
        id: "pause-ledger",
        fault: "pause",
        target: { role: "ledger" },
        config: {},
        scheduledAtMs: 10_000,
        injectedAtMs: null,
        verifiedAtMs: null,
        healedAtMs: null,
        verification: null,
        error: null,
      };
      store.start({
        runId,
        groupId: runId,
        title: "pause the ledger, live",
        file: "fixtures/experiments/live.yaml",
        description: null,
        control: null,
        startMs,
        faults: [planned],
      });
      store.phaseStarted(runId, "method", startMs + 1000);
      const { page, problems } = await open(`#/run/${runId}`);
      expect(await page.locator("section.run").getAttribute("data-status")).toBe("running");
      expect(await page.locator(".run-header .badge").textContent()).toBe("running");
      expect(await page.locator(".tl-fault").count()).toBe(0);

      const injectedAtMs = Date.now() - 1000;
      store.fault(runId, {
        ...planned,
        injectedAtMs,
        verifiedAtMs: injectedAtMs + 20,
        verification: "stopped",
      });
      await page.waitForSelector(".tl-fault.open[data-fault='pause-ledger']", { timeout: 15_000 });
      await page.waitForSelector(".chart[data-bands='1']", { timeout: 15_000 });

      const endMs = Date.now();
      store.phaseEnded(runId, "method", endMs - 100);
      store.finish({
        runId,
        status: "passed",
        verdict: null,
        reason: null,
        endMs,
        methodStartMs: startMs + 1000,
        methodEndMs: endMs - 100,
        faults: [
          {
            ...planned,
            injectedAtMs,
            verifiedAtMs: injectedAtMs + 20,
            healedAtMs: endMs - 200,
            verification: "stopped",
          },
        ],
        assertions: [],
        steadyState: { before: [], after: [] },
        series: [],
        failingRequests: [],
      });
      await page.waitForSelector("section.run[data-status='passed']", { timeout: 15_000 });
      expect(await page.locator(".run-header .badge").textContent()).toBe("passed");
      expect(await page.locator(".tl-fault.open").count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      store.close();
    }
  });
});
