import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startOtlpHttpReceiver } from "../../collector/receivers/otlp-http.js";
import { DEFAULT_WRITER_OPTIONS, type StoreWriter, startWriter } from "../../collector/store/writer.js";

const folder = mkdtempSync(join(tmpdir(), "shakedown-http-close-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/**
 * One export on the agent's kept-alive connection, its body sent in two parts with `midBody` between them.
 * Resolves with the status, or null once the connection is refused or cut.
 */
function exportOnce(url: URL, agent: Agent, midBody: () => Promise<void>): Promise<number | null> {
  return new Promise((resolve) => {
    const sent = request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json" } },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? null));
      },
    );
    sent.on("error", () => resolve(null));
    sent.write("{");
    void midBody().then(() => sent.end("}"));
  });
}

describe("closing the OTLP/HTTP receiver", () => {
  it("finishes while an exporter keeps posting on a kept-alive connection that was busy when close began", async () => {
    const writer = await startWriter({ ...DEFAULT_WRITER_OPTIONS, path: join(folder, "collector.db") });
    // The receiver admits a request once it has read its headers: from then on that connection is busy.
    let onAdmit: () => void = () => {};
    const admitting: StoreWriter = {
      ...writer,
      admit(items) {
        onAdmit();
        writer.admit(items);
      },
    };
    const receiver = await startOtlpHttpReceiver({
      host: "127.0.0.1",
      port: 0,
      writer: admitting,
      maxBodyBytes: 1024 * 1024,
    });
    const url = new URL(`http://127.0.0.1:${receiver.port}/v1/traces`);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const admitted = () => new Promise<void>((resolve) => (onAdmit = resolve));
    // An exporter that posts again as soon as it is answered, each body finished only once admitted.
    const MAX_EXPORTS = 5_000;
    let answered = 0;
    let closeNow: () => void = () => {};
    const readyToClose = new Promise<void>((resolve) => (closeNow = resolve));
    const exporter = (async () => {
      while (answered < MAX_EXPORTS) {
        const status = await exportOnce(url, agent, async () => {
          await admitted();
          if (answered === 10) closeNow();
        });
        if (status !== 200) break;
        answered++;
      }
    })();
    try {
      await readyToClose;
      await receiver.close();
      const answeredBeforeClosed = answered;
      await exporter;
      // Kept alive, the connection would have carried every export, and close waited for the last. Here the
      // export under way when close began is answered, and it is the last.
      expect(answeredBeforeClosed).toBeLessThan(MAX_EXPORTS);
      expect(answered).toBeLessThanOrEqual(answeredBeforeClosed + 1);
      expect(receiver.openConnections()).toBe(0);
    } finally {
      agent.destroy();
      await writer.close();
    }
  });
});
