import { describe, expect, it } from "vitest";
import { barGeometry, layoutTrace, percentOf, rulerTicks } from "../../dashboards/ui/lib/trace-layout.js";

/** 2023-11-14T22:13:20Z in nanoseconds: far beyond 2^53, where a Number would round away the last digits. */
const BASE = 1_700_000_000_000_000_000n;
const span = (spanId: string, parentSpanId: string | null, startOffset: bigint, duration: bigint) => ({
  spanId,
  parentSpanId,
  startNs: String(BASE + startOffset),
  endNs: String(BASE + startOffset + duration),
});

describe("the waterfall layout", () => {
  it("orders spans depth first with children by start time", () => {
    const layout = layoutTrace([
      span("c2", "root", 50n, 10n),
      span("root", null, 0n, 100n),
      span("c1", "root", 10n, 30n),
      span("g1", "c1", 20n, 5n),
    ]);
    expect(layout.rows.map((r) => [r.span.spanId, r.depth, r.parentIndex])).toEqual([
      ["root", 0, -1],
      ["c1", 1, 0],
      ["g1", 2, 1],
      ["c2", 1, 0],
    ]);
    expect(layout.rows.map((r) => r.descendantCount)).toEqual([3, 1, 0, 0]);
  });

  it("keeps offsets and durations exact to the nanosecond at today's epoch times", () => {
    const layout = layoutTrace([
      span("root", null, 0n, 1_000_000_007n),
      span("tiny", "root", 999_999_999n, 1n),
    ]);
    const tiny = layout.rows[1];
    expect(tiny?.offsetNs).toBe(999_999_999n);
    expect(tiny?.durationNs).toBe(1n);
    expect(layout.startNs).toBe(BASE);
    expect(layout.durationNs).toBe(1_000_000_007n);
    // As Numbers the two ends of the root would be the same value.
    expect(Number(BASE + 1_000_000_007n) - Number(BASE)).not.toBe(1_000_000_007);
  });

  it("makes a span whose parent never arrived a root marked as an orphan", () => {
    const layout = layoutTrace([span("a", "missing", 5n, 1n), span("b", "a", 6n, 1n)]);
    expect(layout.rows.map((r) => [r.span.spanId, r.depth, r.orphan])).toEqual([
      ["a", 0, true],
      ["b", 1, false],
    ]);
  });

  it("loses no span caught in a parent cycle", () => {
    const layout = layoutTrace([span("root", null, 0n, 10n), span("x", "y", 1n, 1n), span("y", "x", 2n, 1n)]);
    expect(layout.rows.map((r) => r.span.spanId).sort()).toEqual(["root", "x", "y"]);
  });

  it("lays out a chain 5,000 spans deep without recursion", () => {
    const chain = Array.from({ length: 5_000 }, (_, i) =>
      span(`s${i}`, i === 0 ? null : `s${i - 1}`, BigInt(i), 10_000n),
    );
    const layout = layoutTrace(chain.reverse());
    expect(layout.rows).toHaveLength(5_000);
    expect(layout.rows.at(-1)?.depth).toBe(4_999);
    expect(layout.rows[0]?.descendantCount).toBe(4_999);
  });

  it("places bars in percent of the trace, with sub-pixel spans kept as tiny non-zero widths", () => {
    const geometry = barGeometry({ offsetNs: 500_000_000n, durationNs: 12_345n }, 1_000_000_000n);
    expect(geometry.leftPercent).toBe(50);
    expect(geometry.widthPercent).toBeCloseTo(0.0012345, 9);
    expect(percentOf(1n, 0n)).toBe(0);
  });

  it("puts ruler ticks at round durations", () => {
    expect(rulerTicks(22_735_393n, 8)).toEqual([0n, 5_000_000n, 10_000_000n, 15_000_000n, 20_000_000n]);
    expect(rulerTicks(0n, 8)).toEqual([0n]);
    expect(rulerTicks(7n, 8)).toHaveLength(8);
  });
});
