import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { detachedContext } from "../../../chaos/faults/context.js";
import { blocks, grudgeOf, representativePairs, seededRandom } from "../../../chaos/faults/network/grudge.js";
import { NETWORK_FAULTS } from "../../../chaos/faults/network/index.js";
import { partitionTable } from "../../../chaos/faults/network/nftables.js";

const nodes = ["n1", "n2", "n3", "n4", "n5"];
const random = () => seededRandom(1);

describe("partition grudges", () => {
  it("isolate cuts one node from every other node in both directions and nothing else", () => {
    const grudge = grudgeOf({ kind: "isolate", node: "n3" }, nodes, random());
    expect(grudge.groups).toEqual([["n3"], ["n1", "n2", "n4", "n5"]]);
    expect(grudge.blocked).toHaveLength(8);
    expect(blocks(grudge, "n3", "n1") && blocks(grudge, "n1", "n3")).toBe(true);
    expect(blocks(grudge, "n1", "n2")).toBe(false);
  });

  it("halves puts the smaller half on one side and the seed decides who, the same way every time", () => {
    const grudge = grudgeOf({ kind: "halves" }, nodes, seededRandom(9));
    expect(grudge.groups.map((g) => g.length)).toEqual([2, 3]);
    expect(grudgeOf({ kind: "halves" }, nodes, seededRandom(9))).toEqual(grudge);
    expect(grudge.blocked).toHaveLength(2 * 2 * 3);
  });

  it("bridge leaves the middle node reaching and reached by both sides, which cannot reach each other", () => {
    const grudge = grudgeOf({ kind: "bridge" }, nodes, random());
    const [left, middle, right] = grudge.groups as string[][];
    expect([left?.length, middle?.length, right?.length]).toEqual([2, 1, 2]);
    const m = middle?.[0] as string;
    for (const node of nodes.filter((n) => n !== m)) {
      expect(blocks(grudge, node, m) || blocks(grudge, m, node)).toBe(false);
    }
    expect(blocks(grudge, left?.[0] as string, right?.[0] as string)).toBe(true);
    expect(blocks(grudge, right?.[1] as string, left?.[1] as string)).toBe(true);
  });

  it("one-way blocks only the direction from `from` to `to`", () => {
    const grudge = grudgeOf({ kind: "one-way", from: ["n1"], to: ["n2", "n3"] }, nodes, random());
    expect(grudge.blocked).toEqual([
      ["n1", "n2"],
      ["n1", "n3"],
    ]);
  });

  it("rejects unknown nodes, overlapping groups, too few nodes and a one-way without sides", () => {
    expect(() => grudgeOf({ kind: "isolate", node: "n9" }, nodes, random())).toThrow(/unknown nodes n9/);
    expect(() =>
      grudgeOf(
        {
          kind: "groups",
          groups: [
            ["n1", "n2"],
            ["n2", "n3"],
          ],
        },
        nodes,
        random(),
      ),
    ).toThrow(/more than one group: n2/);
    expect(() => grudgeOf({ kind: "halves" }, ["n1"], random())).toThrow(/at least 2 nodes/);
    expect(() => grudgeOf({ kind: "bridge" }, ["n1", "n2"], random())).toThrow(/at least 3 nodes/);
    expect(() => grudgeOf({ kind: "one-way", from: ["n1"] }, nodes, random())).toThrow(
      /non-empty `from` and `to`/,
    );
  });

  it("probes one blocked and one open pair per ordered pair of groups, not every pair", () => {
    const grudge = grudgeOf({ kind: "isolate", node: "n1" }, nodes, random());
    const { blocked, open } = representativePairs(grudge, nodes);
    expect(blocked).toEqual([
      ["n1", "n2"],
      ["n2", "n1"],
    ]);
    expect(open).toEqual([["n2", "n3"]]);
  });
});

describe("partition tables", () => {
  it("drop every packet to and from peers cut both ways, and only the connections we open on a one-way cut", () => {
    const script = partitionTable("shk_abc_123", { cutBoth: ["127.203.1.2"], cannotReach: ["127.203.1.3"] });
    expect(script).toContain("table inet shk_abc_123 {");
    expect(script).toContain("ip daddr { 127.203.1.2 } counter drop");
    expect(script).toContain("ip saddr { 127.203.1.2 } counter drop");
    expect(script).toContain("ip daddr { 127.203.1.3 } ct direction original counter drop");
    expect(script).toContain("ip saddr { 127.203.1.3 } ct direction reply counter drop");
  });
});

describe("network fault units", () => {
  it("are registered under the names experiment files use, with schemas that compile in strict mode", () => {
    const units = NETWORK_FAULTS.map((factory) => factory(detachedContext()));
    expect(units.map((unit) => unit.name)).toEqual([
      "partition",
      "latency",
      "bandwidth",
      "reset",
      "blackhole",
      "ack_loss",
    ]);
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });
    for (const unit of units) {
      expect(unit.description).toMatch(/\.$/);
      ajv.compile(unit.configSchema as object);
      ajv.compile(unit.targetSchema as object);
    }
    const partition = ajv.compile(units[0]?.configSchema as object);
    expect(partition({ kind: "isolate", node: "n1" })).toBe(true);
    expect(partition({ kind: "sideways" })).toBe(false);
    const latency = ajv.compile(units[1]?.configSchema as object);
    expect(latency({ latencyMillis: 100, jitterMillis: 10 })).toBe(true);
    expect(latency({ latency: 100 })).toBe(false);
    const link = ajv.compile(units[1]?.targetSchema as object);
    expect(link({ link: { from: "gateway", to: "catalog-1" } })).toBe(true);
    // A node target belongs to the agent's in-process latency, which shares the name.
    expect(link({ node: "catalog-1" })).toBe(false);
    expect(link({})).toBe(false);
  });
});
