import { describe, expect, it } from "vitest";
import { launchGroups } from "../../../chaos/engine/launch-groups.js";
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
});
