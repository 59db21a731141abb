import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KNOWN, shopTelemetry } from "./fixtures.js";
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

/** The dashboards in Debian's Chromium against a real collector holding the fixture shop's telemetry. */
describe("the dashboards in a browser", () => {
  let loaded: LoadedCollector;
  let browser: Browser;
  let watched: WatchedPage;
  const checkoutSpans = shopTelemetry(Date.now()).spans.filter((s) => s.traceId === KNOWN.checkoutTraceId);

  beforeAll(async () => {
    await buildUi();
    loaded = await startLoadedCollector();
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

  it("loads every view without console errors, exceptions or failed requests", async () => {
    const views: [string, string, string][] = [
      ["overview", "#/", "tr[data-service='orders']"],
      ["service", "#/service/orders", ".chart[data-points]"],
      ["service-map", "#/map", "a.node[data-service='ledger']"],
      ["traces", "#/traces", "tr[data-trace-id]"],
      ["trace", `#/trace/${KNOWN.checkoutTraceId}`, ".span-row"],
      ["metrics", "#/metrics?name=http.server.request.duration", ".chart[data-points]"],
      ["logs", "#/logs", "a.trace-link"],
    ];
    const { page, problems } = await open("#/");
    for (const [name, hash, content] of views) {
      await visit(page, loaded.url, hash);
      await page.waitForSelector(content);
      expect(await page.locator("main .notice.error:visible").count(), `${name} shows an error`).toBe(0);
      await screenshot(page, `view-${name}`);
    }
    expect(problems).toEqual([]);
  });

  it("opens a trace found by its attribute in the waterfall", async () => {
    const { page, problems } = await open("#/traces");
    await page.fill("textarea[name='attributes']", `order.id=${KNOWN.orderId}`);
    await page.click("form.filters button[type='submit']");
    await page.waitForURL(/attr\.order\.id=/);
    await waitReady(page);
    const results = page.locator("tr[data-trace-id]");
    expect(await results.count()).toBe(1);
    expect(await results.first().getAttribute("data-trace-id")).toBe(KNOWN.checkoutTraceId);

    await results.first().locator("a.trace-title").click();
    await page.waitForSelector(`.waterfall[data-spans='${checkoutSpans.length}']`);
    expect(await page.locator(".span-row").count()).toBe(checkoutSpans.length);
    expect(await page.locator(".trace-header h1").textContent()).toBe("gateway: POST /orders");
    // The waterfall is a tree: the producer span sits below the orders server span that parents it.
    const order = await page
      .locator(".span-row")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-span-id")));
    expect(order.indexOf(KNOWN.producerSpanId)).toBeGreaterThan(0);
    expect(await page.locator(".trace-logs").textContent()).toContain(`order ${KNOWN.orderId} placed`);
    await screenshot(page, "trace-found-by-attribute");
    expect(problems).toEqual([]);
  });

  it("keeps a sub-millisecond span's bar visible and its timing exact to the nanosecond", async () => {
    const { page, problems } = await open(`#/trace/${KNOWN.checkoutTraceId}`);
    const row = page.locator(`.span-row[data-span-id='${KNOWN.subMillisecondSpanId}']`);
    const bar = await row.locator(".span-bar").boundingBox();
    const track = await row.locator(".span-track").boundingBox();
    if (bar === null || track === null) throw new Error("the sub-millisecond span has no bar");
    const span = checkoutSpans.find((s) => s.spanId === KNOWN.subMillisecondSpanId);
    const starts = checkoutSpans.map((s) => s.startNs).sort((a, b) => (a < b ? -1 : 1));
    const ends = checkoutSpans.map((s) => s.startNs + s.durationNs).sort((a, b) => (a < b ? -1 : 1));
    const start = starts[0] ?? 0n;
    const end = ends.at(-1) ?? 0n;
    if (span === undefined) throw new Error("fixture lacks the sub-millisecond span");
    // Drawn to scale the bar would be a fraction of a pixel wide.
    expect((Number(span.durationNs) / Number(end - start)) * track.width).toBeLessThan(1);
    expect(bar.width).toBeGreaterThanOrEqual(3);
    expect(bar.x).toBeGreaterThanOrEqual(track.x);
    expect(await row.locator(".span-dur").textContent()).toBe("12.35 µs");

    await row.click();
    const details = page.locator(`.span-details[data-span-id='${KNOWN.subMillisecondSpanId}']`);
    const text = (await details.textContent()) ?? "";
    expect(text).toContain("12\u2009345 ns");
    expect(text).toContain(`${String(span.startNs - start).replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009")} ns`);
    await screenshot(page, "sub-millisecond-span");
    expect(problems).toEqual([]);
  });

  it("opens a service from its node on the service map", async () => {
    const { page, problems } = await open("#/map");
    await page.click("a.node[data-service='orders']");
    await page.waitForURL(/#\/service\/orders$/);
    await waitReady(page);
    await page.waitForSelector("section.service[data-service='orders'] .chart[data-points]");
    expect(await page.locator("section.service h1").textContent()).toBe("orders");
    expect(await page.locator("section.service").textContent()).toContain("inventory");
    await screenshot(page, "service-from-map");
    expect(problems).toEqual([]);
  });

  it("shows a span attribute holding markup as text and runs nothing", async () => {
    const { page, problems, dialogs } = await open(`#/trace/${KNOWN.xssTraceId}?span=${KNOWN.xssSpanId}`);
    const details = page.locator(`.span-details[data-span-id='${KNOWN.xssSpanId}']`);
    await details.waitFor();
    expect(await details.locator(".value", { hasText: "<img" }).first().textContent()).toBe(KNOWN.xss);
    expect(await details.textContent()).toContain("<script>alert(2)</script>");
    expect(await page.locator(".trace-logs").textContent()).toContain(KNOWN.xss);

    await visit(page, loaded.url, "#/logs?q=suspicious");
    expect(await page.locator("table.logs td.body").first().textContent()).toBe(
      `suspicious search query: ${KNOWN.xss}`,
    );
    // Give an injected image every chance to fail loading and fire its handler.
    await page.waitForLoadState("networkidle");
    expect(await page.locator("img, script:not([src])").count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("links a Kafka consumer's trace to the producer span in the trace that published", async () => {
    const { page, problems } = await open(`#/trace/${KNOWN.consumerTraceId}`);
    const link = page.locator(".linked-traces a.trace-link");
    expect(await link.count()).toBe(1);
    expect(await page.locator(".linked-traces").textContent()).toContain("ledger: orders process");
    await link.click();
    await page.waitForSelector(`.span-row.selected[data-span-id='${KNOWN.producerSpanId}']`);
    expect(page.url()).toContain(KNOWN.checkoutTraceId);
    const details = page.locator(`.span-details[data-span-id='${KNOWN.producerSpanId}']`);
    expect(await details.textContent()).toContain("PRODUCER");
    expect(problems).toEqual([]);
  });

  it("filters the spans of a 5,000-span trace", async () => {
    const { page, problems } = await open(`#/trace/${KNOWN.bigTraceId}`);
    await page.waitForSelector(`.waterfall[data-spans='${KNOWN.bigTraceSpans}']`);
    expect(await page.locator(".span-row").count()).toBe(KNOWN.bigTraceSpans);
    const matchCount = page.locator(".match-count");
    // Words match anywhere (the second span has row.index 4242); key=value matches one attribute exactly.
    await page.fill("input.span-filter", "upsert 4242");
    await expect.poll(() => matchCount.textContent()).toBe(`2 of ${KNOWN.bigTraceSpans} spans match`);
    await page.fill("input.span-filter", "row.index=4241");
    await expect.poll(() => matchCount.textContent()).toBe(`1 of ${KNOWN.bigTraceSpans} spans match`);
    await page.check("label.check input");
    // The match stays in its place in the tree: the root, its batch and the row itself.
    expect(await page.locator(".span-row:not([hidden])").count()).toBe(3);
    expect(await page.locator(".span-row:not([hidden]) .name").allTextContents()).toEqual([
      "POST /admin/import",
      "import batch 43",
      "upsert row 4242",
    ]);
    await page.fill("input.span-filter", "");
    await expect.poll(() => matchCount.textContent()).toBe("");
    expect(await page.locator(".span-row:not([hidden])").count()).toBe(KNOWN.bigTraceSpans);
    expect(problems).toEqual([]);
  });

  it("searches log bodies and links every line that has a trace to it", async () => {
    const { page, problems } = await open("#/logs?q=applied&service=ledger");
    const rows = page.locator("table.logs tbody tr");
    const count = await rows.count();
    expect(count).toBeGreaterThan(10);
    for (const body of await page.locator("table.logs td.body").allTextContents())
      expect(body).toContain("applied");
    expect(await page.locator("table.logs a.trace-link").count()).toBe(count);
    await page.locator("table.logs a.trace-link").first().click();
    await page.waitForSelector(".span-row.selected");
    expect(await page.locator(".span-row.selected .name").textContent()).toBe("orders process");
    expect(problems).toEqual([]);
  });

  it("keeps a chart's points while live refresh is paused and refreshes again when resumed", async () => {
    const { page, problems } = await open("#/metrics?name=orders.placed&fn=increase");
    const chart = page.locator(".chart[data-points]");
    await chart.waitFor();
    const points = Number(await chart.getAttribute("data-points"));
    expect(points).toBeGreaterThan(0);
    // Live: the view refreshes on its own.
    await page.waitForSelector("main:not([data-refreshes='0']):not([data-refreshes='1'])", {
      timeout: 20_000,
    });
    await page.click("button.live");
    expect(await page.getAttribute("button.live", "aria-pressed")).toBe("false");
    let queries = 0;
    page.on("request", (request) => {
      if (request.url().includes("/api/metrics/query")) queries++;
    });
    // Paused for longer than a refresh interval: no query goes out and the chart keeps what it drew.
    await page.waitForTimeout(6_000);
    expect(queries).toBe(0);
    expect(Number(await chart.getAttribute("data-points"))).toBe(points);
    expect(await page.locator(".chart canvas").count()).toBe(1);
    await page.click("button.live");
    expect(await page.getAttribute("button.live", "aria-pressed")).toBe("true");
    await expect.poll(() => queries, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(Number(await chart.getAttribute("data-points"))).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
