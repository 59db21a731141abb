import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { K6Load } from "../../../chaos/experiment/types.js";
import { K6Driver, parseK6Summary, serviceUrlVariable } from "../../../chaos/load/k6.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-k6-test-"));
const never = new AbortController().signal;

/** A k6 script; error code 1110 is k6's "IP is in a blacklisted range". */
function script(name: string, body: string, prelude = ""): string {
  const path = join(folder, name);
  writeFileSync(path, `import http from "k6/http";\n${prelude}export default function () {\n${body}\n}\n`);
  return path;
}

function k6Load(path: string, durationMillis = 1000): K6Load {
  return { type: "k6", script: path, durationMillis, vus: 2, env: { ROUTE: "/hello" } };
}

describe("k6 as the load", () => {
  let server: Server;
  let url: string;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      hits++;
      response.statusCode = request.url === "/hello" ? 200 : 404;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(folder, { recursive: true, force: true });
  });

  it("runs a script against a service's URL from the topology and reads its summary", async () => {
    const driver = new K6Driver({ serviceUrls: () => ({ web: url }) });
    const path = script("ok.js", `  http.get(__ENV.${serviceUrlVariable("web")} + __ENV.ROUTE);`);
    const run = await driver.start(k6Load(path), never);
    await run.done;
    expect(run.summary?.requests).toBeGreaterThan(0);
    expect(run.summary?.requests).toBe(hits);
    expect(run.summary?.failedRatio).toBe(0);
  });

  it("k6 itself refuses addresses off loopback, so every such request fails without leaving the machine", async () => {
    const driver = new K6Driver({ serviceUrls: () => ({}) });
    const path = script(
      "away.js",
      `  const response = http.get("http://10.255.255.1:9/", { timeout: "5s" });
  if (response.error_code === 1110) blocked.add(1);`,
      `import { Counter } from "k6/metrics";\nconst blocked = new Counter("blocked");\n`,
    );
    const run = await driver.start(k6Load(path, 1000), never);
    await run.done;
    expect(run.summary?.failedRatio).toBe(1);
    expect(run.summary?.metrics.blocked?.count).toBe(run.summary?.requests);
  });

  it("refuses a service URL off loopback before starting k6", async () => {
    const driver = new K6Driver({ serviceUrls: () => ({ web: "http://192.168.1.1:80" }) });
    await expect(driver.start(k6Load(script("x.js", "")), never)).rejects.toThrow(/refusing to send load/);
  });

  it("reads a summary export with missing metrics as zero", () => {
    expect(parseK6Summary('{"metrics":{"http_reqs":{"count":3,"rate":1.5}}}')).toMatchObject({
      requests: 3,
      requestsPerSecond: 1.5,
      failedRatio: 0,
    });
  });
});
