import { describe, expect, it } from "vitest";
import {
  formatDuration,
  formatMs,
  formatNsExact,
  formatPercent,
  formatRate,
  formatTimestampNs,
  nsToMs,
} from "../../dashboards/ui/lib/format.js";

describe("the UI's number and time formats", () => {
  it("writes durations with about four significant digits in a fitting unit", () => {
    expect(formatDuration(0n)).toBe("0 ns");
    expect(formatDuration(734n)).toBe("734 ns");
    expect(formatDuration(12_345n)).toBe("12.35 µs");
    expect(formatDuration(734_125n)).toBe("734.1 µs");
    expect(formatDuration(22_735_393n)).toBe("22.74 ms");
    expect(formatDuration(2_400_000_000n)).toBe("2.4 s");
    expect(formatDuration(750n * 1_000_000_000n)).toBe("12.5 min");
    expect(formatDuration(-5n)).toBe("-5 ns");
    expect(formatMs(0.5)).toBe("500 µs");
    expect(formatMs(null)).toBe("–");
  });

  it("writes every digit of a nanosecond count", () => {
    expect(formatNsExact(300_412_001n)).toBe("300\u2009412\u2009001 ns");
    expect(formatNsExact(12n)).toBe("12 ns");
  });

  it("keeps all nine fraction digits of a timestamp", () => {
    expect(formatTimestampNs(1_718_000_000_123_456_789n, "utc")).toBe("2024-06-10T06:13:20.123456789Z");
    expect(formatTimestampNs(1_718_000_000_000_000_001n, "local")).toMatch(/\.000000001$/);
    expect(nsToMs("1718000000123456789")).toBeCloseTo(1_718_000_000_123.4568, 3);
  });

  it("writes rates and ratios", () => {
    expect(formatRate(41.234)).toBe("41.2/s");
    expect(formatRate(0.0489)).toBe("0.049/s");
    expect(formatRate(0)).toBe("0/s");
    expect(formatPercent(0.0125)).toBe("1.25%");
    expect(formatPercent(0.004)).toBe("0.4%");
    expect(formatPercent(0.25)).toBe("25%");
    expect(formatPercent(null)).toBe("–");
  });
});
