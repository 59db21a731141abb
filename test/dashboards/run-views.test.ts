import { describe, expect, it } from "vitest";
import { barScale, formatBar, formatQuantity } from "../../dashboards/ui/lib/measurement.js";
import { parseRoute, routeHash } from "../../dashboards/ui/lib/route.js";
import { pairByName } from "../../dashboards/ui/lib/run-compare.js";
import { runOutcome, validityOutcome } from "../../dashboards/ui/lib/run-outcome.js";
import {
  faultWindows,
  formatOffset,
  type TimelineRun,
  timelineLayout,
} from "../../dashboards/ui/lib/run-timeline.js";

const control = { name: "cache off", description: null, disable: ["cache"] };

describe("a run's outcome", () => {
  it("is its status for a case and its verdict for a negative control", () => {
    expect(runOutcome({ control: null, status: "passed", verdict: null })).toEqual({
      label: "passed",
      tone: "good",
    });
    expect(runOutcome({ control: null, status: "failed", verdict: null }).tone).toBe("bad");
    expect(runOutcome({ control, status: "failed", verdict: "failed-as-expected" })).toEqual({
      label: "failed as expected",
      tone: "good",
    });
    expect(runOutcome({ control, status: "passed", verdict: "passed-unexpectedly" }).tone).toBe("bad");
  });

  it("is running while the run goes on, whatever else is known", () => {
    expect(runOutcome({ control, status: "running", verdict: null }).label).toBe("running");
    expect(runOutcome({ control, status: "failed", verdict: null }).label).toBe("failed");
  });

  it("reads a measurement's validity as passed, failed or unknown", () => {
    expect([true, false, "unknown" as const].map((v) => validityOutcome(v).label)).toEqual([
      "passed",
      "failed",
      "unknown",
    ]);
  });
});

describe("a measured value against its bar", () => {
  it("is written in the measurement's unit", () => {
    expect(formatQuantity(0.31, "ratio")).toBe("31%");
    expect(formatQuantity(182, "ms")).toBe("182 ms");
    expect(formatQuantity(1.5, "s")).toBe("1.5 s");
    expect(formatQuantity(200, "status")).toBe("200");
    expect(formatQuantity(3, "count")).toBe("3");
    expect(formatQuantity(12.5, "req/s")).toBe("12.5 req/s");
  });

  it("states the bar in the same unit", () => {
    expect(formatBar({ max: 0.01 }, "ratio")).toBe("≤ 1%");
    expect(formatBar({ min: 1 }, "count")).toBe("≥ 1");
    expect(formatBar({ min: 200, max: 299 }, "status")).toBe("200 … 299");
    expect(formatBar({ min: 0, max: 0 }, "ratio")).toBe("= 0%");
    expect(formatBar(null, "ms")).toBe("–");
  });

  it("places the value and the allowed range on a scale from zero past the larger of both", () => {
    const scale = barScale(0.31, { max: 0.01 });
    if (scale === null) throw new Error("no scale");
    expect(scale.from).toBe(0);
    expect(scale.allowed.left).toBe(0);
    expect(scale.allowed.openLeft).toBe(true);
    expect(scale.allowed.width).toBeCloseTo((0.01 / scale.to) * 100);
    // The value is right of the allowed range and not on the scale's edge.
    expect(scale.marker).toBeGreaterThan(scale.allowed.left + scale.allowed.width);
    expect(scale.marker).toBeLessThan(100);
  });

  it("runs an upper-open bar to the scale's right end and keeps a lower bound inside", () => {
    const scale = barScale(3, { min: 1 });
    if (scale === null) throw new Error("no scale");
    expect(scale.allowed.openRight).toBe(true);
    expect(scale.allowed.left + scale.allowed.width).toBe(100);
    expect(scale.allowed.left).toBeGreaterThan(0);
    expect(scale.marker).toBeGreaterThan(scale.allowed.left);
  });

  it("draws a zero bar and a zero value without dividing by zero", () => {
    const scale = barScale(0, { max: 0 });
    if (scale === null) throw new Error("no scale");
    expect([scale.marker, scale.allowed.left, scale.allowed.width]).toEqual([0, 0, 0]);
  });

  it("draws nothing without a value or a bar", () => {
    expect(barScale(null, { max: 1 })).toBeNull();
    expect(barScale(1, null)).toBeNull();
    expect(barScale(1, {})).toBeNull();
  });
});

describe("a run's timeline", () => {
  const run: TimelineRun = {
    startMs: 100_000,
    endMs: 140_000,
    methodStartMs: 102_000,
    methodEndMs: 132_000,
    phases: [
      { name: "steady-state-before", startMs: 100_000, endMs: 102_000 },
      { name: "method", startMs: 102_000, endMs: 132_000 },
      { name: "steady-state-after", startMs: 132_000, endMs: 140_000 },
    ],
    faults: [
      {
        id: "kill",
        fault: "kill",
        scheduledAtMs: 5000,
        injectedAtMs: 107_000,
        verifiedAtMs: 107_040,
        healedAtMs: 117_000,
      },
      {
        id: "stuck",
        fault: "pause",
        scheduledAtMs: 8000,
        injectedAtMs: 110_000,
        verifiedAtMs: null,
        healedAtMs: null,
      },
      {
        id: "never",
        fault: "latency",
        scheduledAtMs: 18_000,
        injectedAtMs: null,
        verifiedAtMs: null,
        healedAtMs: null,
      },
    ],
  };

  it("places phases, fault windows and the faults' schedules (offsets from the method's start) in percent of the run", () => {
    const layout = timelineLayout(run, 1e12);
    expect(layout.phases.map((p) => [p.left, p.width])).toEqual([
      [0, 5],
      [5, 75],
      [80, 20],
    ]);
    const kill = layout.faults[0];
    expect(kill?.window?.left).toBe(17.5);
    expect(kill?.window?.width).toBe(25);
    expect(kill?.scheduled).toBe(17.5);
    expect(kill?.verified).toBeCloseTo(17.6);
    expect(layout.faults[2]?.window).toBeNull();
    expect(layout.faults[2]?.scheduled).toBe(50);
    expect(timelineLayout({ ...run, methodStartMs: null }, 1e12).faults[0]?.scheduled).toBeNull();
  });

  it("shades a fault that was never healed up to the method's end, or up to now while the run goes on", () => {
    expect(faultWindows(run, 1e12).map((w) => [w.id, w.startMs, w.endMs, w.open])).toEqual([
      ["kill", 107_000, 117_000, false],
      ["stuck", 110_000, 132_000, true],
    ]);
    const running = { ...run, endMs: null, methodEndMs: null };
    expect(faultWindows(running, 125_000)[1]?.endMs).toBe(125_000);
    const layout = timelineLayout(running, 125_000);
    expect(layout.endMs).toBe(125_000);
    expect(layout.phases[2]).toMatchObject({ left: 100, width: 0 });
  });

  it("labels ticks from the method's start", () => {
    const layout = timelineLayout(run, 1e12);
    expect(layout.ticks.map((t) => t.label)).toEqual([
      "+0 s",
      "+5 s",
      "+10 s",
      "+15 s",
      "+20 s",
      "+25 s",
      "+30 s",
      "+35 s",
    ]);
    expect(layout.ticks[0]?.label).toBe("+0 s");
    expect(layout.ticks[0]?.left).toBe(5);
    expect(formatOffset(95_500, 100_000)).toBe("−4.5 s");
    expect(formatOffset(100_000 + 12 * 60_000, 100_000)).toBe("+12 min");
  });
});

describe("two runs' measurements side by side", () => {
  it("pairs them by name, A's order first, then what only B measured", () => {
    const pairs = pairByName(
      [{ name: "errors" }, { name: "latency" }, { name: "errors" }],
      [{ name: "latency" }, { name: "breaker" }],
    );
    expect(pairs.map((p) => [p.name, p.a !== null, p.b !== null])).toEqual([
      ["errors", true, false],
      ["latency", true, true],
      ["breaker", false, true],
    ]);
  });
});

describe("the experiment views' addresses", () => {
  it("name a run by its id and a comparison by two", () => {
    expect(parseRoute(routeHash("run", "run/1 x")).id).toBe("run/1 x");
    const compare = parseRoute(routeHash("compare", "", { a: "r1", b: "r2" }));
    expect([compare.view, compare.params.get("a"), compare.params.get("b")]).toEqual(["compare", "r1", "r2"]);
    expect(parseRoute("#/runs?experiment=catalog").view).toBe("runs");
  });
});
