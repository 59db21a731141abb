import { describe, expect, it } from "vitest";
import { parseDurationMs, parseTime, parseTraceId } from "../../../collector/api/params.js";
import { InvalidParameterError } from "../../../collector/errors.js";
import { toFtsQuery } from "../../../collector/query/logs.js";
import { histogramQuantile } from "../../../collector/query/metrics.js";
import { nearestRank } from "../../../collector/query/percentile.js";
import { Buckets, defaultStepMs } from "../../../collector/query/window.js";

const NOW_MS = 1_700_000_000_000;
const MS = 1_000_000n;

describe("parseTime", () => {
  it("reads epoch milliseconds", () => {
    expect(parseTime("start", "1700000000123", NOW_MS)).toBe(1_700_000_000_123n * MS);
  });

  it("reads now and now minus seconds, minutes, hours and days", () => {
    expect(parseTime("end", "now", NOW_MS)).toBe(BigInt(NOW_MS) * MS);
    expect(parseTime("start", "now-15m", NOW_MS)).toBe(BigInt(NOW_MS - 900_000) * MS);
    expect(parseTime("start", "now-30s", NOW_MS)).toBe(BigInt(NOW_MS - 30_000) * MS);
    expect(parseTime("start", "now-2h", NOW_MS)).toBe(BigInt(NOW_MS - 7_200_000) * MS);
    expect(parseTime("start", "now-1d", NOW_MS)).toBe(BigInt(NOW_MS - 86_400_000) * MS);
  });

  it("reads RFC 3339 with offsets and nanosecond fractions", () => {
    expect(parseTime("start", "2023-11-14T22:13:20Z", NOW_MS)).toBe(1_700_000_000_000n * MS);
    expect(parseTime("start", "2023-11-14T23:13:20+01:00", NOW_MS)).toBe(1_700_000_000_000n * MS);
    expect(parseTime("start", "2023-11-14T20:13:20-02:00", NOW_MS)).toBe(1_700_000_000_000n * MS);
    expect(parseTime("start", "2023-11-14t22:13:20.123456789z", NOW_MS)).toBe(1_700_000_000_123_456_789n);
    expect(parseTime("start", "2023-11-14T22:13:20.5Z", NOW_MS)).toBe(1_700_000_000_500n * MS);
  });

  it("reads an offset whose plus sign a query string turned into a space", () => {
    expect(parseTime("start", "2023-11-14T23:13:20 01:00", NOW_MS)).toBe(1_700_000_000_000n * MS);
  });

  it("rejects impossible dates and other text naming the parameter", () => {
    for (const text of [
      "2023-02-29T00:00:00Z",
      "2023-11-14T24:00:00Z",
      "2023-11-14",
      "yesterday",
      "now-5",
      "now+5m",
      "-1",
    ]) {
      expect(() => parseTime("start", text, NOW_MS), text).toThrow(InvalidParameterError);
    }
    expect(() => parseTime("end", "soon", NOW_MS)).toThrow(/parameter "end" must be epoch milliseconds/);
  });

  it("rejects a time before 1970 or beyond 64-bit nanoseconds", () => {
    expect(() => parseTime("start", "now-30000d", NOW_MS)).toThrow(/before 1970/);
    expect(() => parseTime("end", "9999999999999999", NOW_MS)).toThrow(/after 2262/);
    expect(() => parseTime("end", "9999-12-31T23:59:59Z", NOW_MS)).toThrow(/after 2262/);
  });
});

describe("parseDurationMs", () => {
  it("reads plain milliseconds and unit suffixes", () => {
    expect(parseDurationMs("step", "250")).toBe(250);
    expect(parseDurationMs("step", "500ms")).toBe(500);
    expect(parseDurationMs("step", "10s")).toBe(10_000);
    expect(parseDurationMs("step", "1.5m")).toBe(90_000);
    expect(parseDurationMs("step", "1h")).toBe(3_600_000);
    expect(parseDurationMs("step", "1d")).toBe(86_400_000);
  });

  it("rejects zero, fractions of a millisecond and unknown units", () => {
    for (const text of ["0", "0s", "0.5", "1.0001s", "10x", "s", "-5s", ""]) {
      expect(() => parseDurationMs("step", text), text).toThrow(InvalidParameterError);
    }
  });
});

describe("parseTraceId", () => {
  it("lower-cases a valid id and rejects anything but 32 hex digits", () => {
    expect(parseTraceId("traceId", "AB".repeat(16))).toBe("ab".repeat(16));
    expect(() => parseTraceId("traceId", "ab".repeat(17))).toThrow(/32 hexadecimal digits/);
  });
});

describe("toFtsQuery", () => {
  it("quotes every word so that FTS5 operators are plain text", () => {
    expect(toFtsQuery("connection refused")).toBe('"connection" "refused"');
    expect(toFtsQuery('a"b')).toBe('"a""b"');
    expect(toFtsQuery("x OR NEAR(y)")).toBe('"x" "OR" "NEAR(y)"');
  });

  it("keeps a trailing star as a prefix search", () => {
    expect(toFtsQuery("conn* refused")).toBe('"conn"* "refused"');
  });

  it("returns null when nothing searchable is left", () => {
    expect(toFtsQuery("  ")).toBeNull();
    expect(toFtsQuery("* **")).toBeNull();
  });
});

describe("histogramQuantile", () => {
  const buckets = new Map([
    [10, 4],
    [50, 20],
    [100, 10],
    [Number.POSITIVE_INFINITY, 2],
  ]);

  it("interpolates linearly inside the bucket holding the rank", () => {
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(38, 10);
    expect(histogramQuantile(0.9, buckets)).toBeCloseTo(92, 10);
  });

  it("starts the lowest bucket at zero", () => {
    expect(histogramQuantile(0.1, buckets)).toBeCloseTo(9, 10);
  });

  it("answers the highest finite bound when the rank falls in the +Inf bucket", () => {
    expect(histogramQuantile(0.99, buckets)).toBe(100);
  });

  it("answers the start of the first non-empty bucket at q = 0", () => {
    expect(
      histogramQuantile(
        0,
        new Map([
          [10, 0],
          [20, 5],
          [Number.POSITIVE_INFINITY, 0],
        ]),
      ),
    ).toBe(10);
  });

  it("has no answer without observations or without a +Inf bucket", () => {
    expect(
      histogramQuantile(
        0.5,
        new Map([
          [10, 0],
          [Number.POSITIVE_INFINITY, 0],
        ]),
      ),
    ).toBeNull();
    expect(
      histogramQuantile(
        0.5,
        new Map([
          [10, 3],
          [20, 4],
        ]),
      ),
    ).toBeNull();
  });
});

describe("nearestRank", () => {
  it("picks the value at rank ceil(q × n) without float noise", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nearestRank(hundred, 0.07)).toBe(7);
    expect(nearestRank(hundred, 0.99)).toBe(99);
    expect(nearestRank([3, 5], 0.5)).toBe(3);
    expect(nearestRank([3, 5], 0)).toBe(3);
    expect(nearestRank([], 0.5)).toBeNull();
  });
});

describe("time buckets", () => {
  const window = (startMs: number, endMs: number) => ({
    startNs: BigInt(startMs) * MS,
    endNs: BigInt(endMs) * MS,
  });

  it("chooses a step of about a sixtieth of the window", () => {
    expect(defaultStepMs(window(0, 3_600_000))).toBe(60_000);
    expect(defaultStepMs(window(0, 900_000))).toBe(15_000);
    expect(defaultStepMs(window(0, 100_000))).toBe(2000);
    expect(defaultStepMs(window(0, 6000))).toBe(100);
  });

  it("aligns buckets to the step and measures the part of each inside the window", () => {
    const buckets = new Buckets(window(1500, 3500), 1000);
    expect(buckets.count).toBe(3);
    expect([0, 1, 2].map((i) => buckets.startMs(i))).toEqual([1000, 2000, 3000]);
    expect([0, 1, 2].map((i) => buckets.coveredSeconds(i))).toEqual([0.5, 1, 0.5]);
    expect(buckets.index(2999n * MS)).toBe(1);
  });
});
