import { describe, expect, it } from "vitest";
import { estimatedMillis, launchGroups, scheduleGroups } from "../../../chaos/engine/launch-groups.js";
import type { Experiment } from "../../../chaos/experiment/types.js";

function experiment(title: string, overrides: Partial<Experiment> = {}): Experiment {
  return {
    file: `${title}.yaml`,
    title,
    description: null,
    profile: "default",
    topology: { env: {}, network: "loopback" },
    steadyState: { title: null, probes: [] },
    load: null,
    method: [],
    assertions: [],
    controls: [],
    rollbacks: [],
    ...overrides,
  };
}

describe("launch groups", () => {
  it("share a topology between experiments with the same profile, environment and network", () => {
    const groups = launchGroups([
      experiment("a"),
      experiment("b", { profile: "ha" }),
      experiment("c", { topology: { env: { X: "1", Y: "2" }, network: "loopback" } }),
      experiment("d"),
      experiment("e", { topology: { env: { Y: "2", X: "1" }, network: "loopback" } }),
      experiment("f", { topology: { env: { X: "1", Y: "2" }, network: "netns" } }),
    ]);
    expect(groups.map((group) => group.experiments.map((e) => e.title))).toEqual([
      ["a", "d"],
      ["b"],
      ["c", "e"],
      ["f"],
    ]);
    expect(groups[2]).toMatchObject({ profile: "default", env: { X: "1", Y: "2" }, network: "loopback" });
  });

  it("runs fast floods alone, and the other groups together longest first, counting each negative control", () => {
    const control = { name: "off", description: null, disable: ["x"], expect: "fail" as const };
    const flood = (millis: number) => ({
      type: "flood" as const,
      ratePerSecond: 1,
      durationMillis: millis,
      timeoutMillis: 1000,
      request: { method: "GET", service: "s", path: "/", headers: {}, body: null },
    });
    const fault = { id: "k", fault: "kill", target: {}, config: {} };
    const groups = launchGroups([
      experiment("short", { load: flood(10_000) }),
      experiment("fast", {
        topology: { env: { X: "1" }, network: "loopback" },
        load: { ...flood(2000), ratePerSecond: 300 },
      }),
      experiment("controlled", { profile: "ha", load: flood(8000), controls: [control, control] }),
      experiment("fault outlasts load", {
        topology: { env: {}, network: "netns" },
        load: flood(5000),
        method: [{ ...fault, atMillis: 3000, durationMillis: 9000 }],
      }),
    ]);
    expect(groups.map(estimatedMillis)).toEqual([10_000, 2000, 24_000, 12_000]);
    const { alone, together } = scheduleGroups(groups);
    expect(alone.map((group) => group.experiments[0]?.title)).toEqual(["fast"]);
    expect(together.map((group) => group.experiments[0]?.title)).toEqual([
      "controlled",
      "fault outlasts load",
      "short",
    ]);
  });
});
