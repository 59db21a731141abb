import { describe, expect, it } from "vitest";
import { edgeKey, layeredLayout } from "../../dashboards/ui/lib/graph-layout.js";

const GEOMETRY = { nodeWidth: 100, nodeHeight: 40, layerGap: 50, rowGap: 10 };

describe("the service map layout", () => {
  it("puts every caller left of its callees", () => {
    const edges = [
      { parent: "gateway", child: "orders" },
      { parent: "orders", child: "inventory" },
      { parent: "gateway", child: "catalog" },
      { parent: "orders", child: "ledger" },
    ];
    const layout = layeredLayout(
      ["gateway", "orders", "inventory", "catalog", "ledger", "lonely"],
      edges,
      GEOMETRY,
    );
    for (const e of edges) {
      expect(layout.nodes.get(e.parent)?.layer).toBeLessThan(layout.nodes.get(e.child)?.layer ?? -1);
    }
    expect(layout.nodes.get("lonely")?.layer).toBe(0);
    expect(layout.width).toBe(3 * 100 + 2 * 50);
  });

  it("gives an edge that skips layers a free slot in each layer it crosses", () => {
    const edges = [
      { parent: "a", child: "b" },
      { parent: "b", child: "c" },
      { parent: "a", child: "c" },
    ];
    const layout = layeredLayout([], edges, GEOMETRY);
    const waypoints = layout.waypoints.get(edgeKey({ parent: "a", child: "c" })) ?? [];
    expect(waypoints).toHaveLength(1);
    const b = layout.nodes.get("b");
    expect(waypoints[0]?.x).toBe(b?.x);
    expect(waypoints[0]?.y).not.toBe(b?.y);
    expect([...layout.nodes.keys()].sort()).toEqual(["a", "b", "c"]);
  });

  it("lays out a cycle, marking the edge that closes it", () => {
    const layout = layeredLayout(
      [],
      [
        { parent: "a", child: "b" },
        { parent: "b", child: "a" },
      ],
      GEOMETRY,
    );
    expect(layout.nodes.size).toBe(2);
    expect(layout.backEdges.size).toBe(1);
  });
});
