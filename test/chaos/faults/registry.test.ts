import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isExperimentError } from "../../../chaos/experiment/errors.js";
import type { JsonObject } from "../../../chaos/experiment/fault-unit.js";
import { loadExperiment } from "../../../chaos/experiment/load.js";
import { parseExperiment } from "../../../chaos/experiment/validate.js";
import { byTarget } from "../../../chaos/faults/by-target.js";
import { detachedContext, type FaultFactory } from "../../../chaos/faults/context.js";
import { createFaults, faultCatalog } from "../../../chaos/faults/registry.js";

const root = join(import.meta.dirname, "../../..");

function experiment(action: string): string {
  return `title: t\nmethod:\n  - at: 1s\n${action}`;
}

describe("the fault registry", () => {
  it("names every process and in-process fault, and validates the sample experiment", () => {
    expect(Object.keys(faultCatalog())).toEqual(
      expect.arrayContaining([
        "kill",
        "kill_leader",
        "terminate",
        "pause",
        "restart",
        "error_rate",
        "latency",
        "defense_switch",
        "noop",
      ]),
    );
    const sample = loadExperiment(join(root, "fixtures/experiments/failover/kill-catalog.yaml"), {
      faults: faultCatalog(),
    });
    expect(sample.method[0]).toMatchObject({ fault: "kill", target: { role: "catalog", pick: "one" } });
  });

  it("rejects a target or config the unit's schema does not allow, with the line of the field", () => {
    const problems = (text: string) => {
      try {
        parseExperiment(text, "x.yaml", { faults: faultCatalog() });
        return "";
      } catch (error) {
        if (!isExperimentError(error)) throw error;
        return error.message;
      }
    };
    expect(problems(experiment("    fault: pause\n    target: { role: web, pick: two }\n"))).toMatch(
      /^x\.yaml:5:\d+ method\[0\]\.target\.pick: must be one of "all", "one", "majority"/m,
    );
    expect(
      problems(experiment("    fault: error_rate\n    target: { node: a }\n    config: { rate: 2 }\n")),
    ).toMatch(/x\.yaml:6:\d+ method\[0\]\.config\.rate/);
    expect(
      problems(experiment("    fault: latency\n    target: { node: a }\n    config: { delay: soon }\n")),
    ).toMatch(/method\[0\]\.config/);
    expect(
      problems(experiment("    fault: kill\n    target: { node: a }\n    config: { within: 2s }\n")),
    ).toBe("");
  });

  it("gives one name to units told apart by target, sending each injection back to its own unit", async () => {
    const calls: string[] = [];
    const unit =
      (tag: string, targetSchema: object): FaultFactory =>
      () => ({
        name: "latency",
        description: tag,
        targetSchema,
        async inject(target: JsonObject) {
          calls.push(`${tag} inject ${JSON.stringify(target)}`);
          return { tag };
        },
        async verify(injection) {
          calls.push(`${tag} verify ${injection.tag}`);
          return { tookEffect: true, evidence: tag };
        },
        async heal(injection) {
          calls.push(`${tag} heal ${injection.tag}`);
        },
      });
    const node = unit("node", { type: "object", required: ["node"] });
    const link = unit("link", { type: "object", required: ["link"] });
    const faults = createFaults(detachedContext(), [node, link]);
    expect(Object.keys(faults)).toEqual(["latency"]);
    const latency = faults.latency;
    if (latency === undefined) throw new Error("latency is not registered");
    const signal = new AbortController().signal;
    const injection = await latency.inject({ link: { from: "a", to: "b" } }, {}, signal);
    await latency.verify(injection);
    await latency.heal(injection);
    await latency.heal(await latency.inject({ node: "a" }, {}, signal));
    expect(calls).toEqual([
      'link inject {"link":{"from":"a","to":"b"}}',
      "link verify link",
      "link heal link",
      'node inject {"node":"a"}',
      "node heal node",
    ]);
    await expect(latency.inject({ role: "x" }, {}, signal)).rejects.toThrow(/no latency unit accepts target/);
    expect(byTarget([node, link])(detachedContext()).targetSchema).toEqual({
      anyOf: [
        { type: "object", required: ["node"] },
        { type: "object", required: ["link"] },
      ],
    });
  });
});
