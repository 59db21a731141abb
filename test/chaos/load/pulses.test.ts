import { describe, expect, it } from "vitest";
import { pulseTimes } from "../../../chaos/load/pulses.js";

describe("pulse times", () => {
  it("centres each pulse on a multiple of every since the epoch, and sends only whole pulses", () => {
    // From 10 300 for 5 s: pulses centred on 12 000 and 14 000 fit; the one on 10 000 started too early.
    const times = pulseTimes(10_300, 5000, 100, { everyMillis: 2000, widthMillis: 1000 }, 1_000_000);
    expect(times).toHaveLength(200);
    expect(times[0]).toBe(11_500);
    expect(times[99]).toBeCloseTo(12_490);
    expect(times[100]).toBe(13_500);
    expect(times[199]).toBeCloseTo(14_490);
  });

  it("fits a pulse that ends exactly with the flood, and is bounded by maxRequests", () => {
    expect(pulseTimes(900, 200, 50, { everyMillis: 1000, widthMillis: 200 }, 100)).toEqual([
      900, 920, 940, 960, 980, 1000, 1020, 1040, 1060, 1080,
    ]);
    expect(pulseTimes(0, 10_000, 1000, { everyMillis: 1000, widthMillis: 500 }, 7)).toHaveLength(7);
  });
});
