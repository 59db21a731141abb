import { describe, expect, it } from "vitest";
import { PendingSteps } from "../../collector/pending-steps.js";

describe("pending steps", () => {
  it("names each step under way with what it waits for, in the order they began, until it settles", async () => {
    const steps = new PendingSteps();
    let waitingFor = "2 scrapes";
    let finishScraper: () => void = () => {};
    let failWriter: (error: Error) => void = () => {};
    const scraper = steps.run(
      "scraper",
      () => new Promise<void>((resolve) => (finishScraper = resolve)),
      () => waitingFor,
    );
    const writer = steps.run("store writer", () => new Promise<void>((_, reject) => (failWriter = reject)));
    expect(steps.list()).toEqual(["scraper (2 scrapes)", "store writer"]);
    waitingFor = "";
    expect(steps.list()).toEqual(["scraper", "store writer"]);
    finishScraper();
    await scraper;
    expect(steps.list()).toEqual(["store writer"]);
    failWriter(new Error("disk full"));
    await expect(writer).rejects.toThrow("disk full");
    expect(steps.list()).toEqual([]);
  });
});
