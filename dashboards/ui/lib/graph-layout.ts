/**
 * A layered left-to-right layout for the service map. Written here rather than taken from a graph library:
 * a shop has about a dozen services, and longest-path layering with waypoints for long edges and a few
 * barycenter sweeps is enough for that at a fraction of a layout engine's size.
 */

export interface GraphEdge {
  parent: string;
  child: string;
}

export interface PlacedNode {
  id: string;
  layer: number;
  /** Position within the layer, top to bottom. */
  order: number;
  x: number;
  y: number;
}

export interface GraphGeometry {
  nodeWidth: number;
  nodeHeight: number;
  layerGap: number;
  rowGap: number;
}

export interface GraphLayout {
  nodes: Map<string, PlacedNode>;
  /**
   * For an edge that spans more than one layer, the slots it passes through in the layers between (top-left
   * corners of node-sized boxes kept free for it), so it is drawn around the nodes instead of across them.
   */
  waypoints: Map<string, { x: number; y: number }[]>;
  /** Edges that point back against the layering (cycles); drawn as curves below the nodes. */
  backEdges: Set<string>;
  width: number;
  height: number;
}

export const edgeKey = (edge: GraphEdge): string => `${edge.parent}\u0000${edge.child}`;

/** Edges that close a cycle, found by depth-first search from each node in name order (deterministic). */
function findBackEdges(nodes: string[], out: Map<string, string[]>): Set<string> {
  const state = new Map<string, "open" | "done">();
  const back = new Set<string>();
  for (const start of nodes) {
    if (state.has(start)) continue;
    const stack: { node: string; next: number }[] = [{ node: start, next: 0 }];
    state.set(start, "open");
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: string; next: number };
      const targets = out.get(top.node) ?? [];
      if (top.next >= targets.length) {
        state.set(top.node, "done");
        stack.pop();
        continue;
      }
      const target = targets[top.next++] as string;
      const seen = state.get(target);
      if (seen === "open") back.add(edgeKey({ parent: top.node, child: target }));
      else if (seen === undefined) {
        state.set(target, "open");
        stack.push({ node: target, next: 0 });
      }
    }
  }
  return back;
}

/** Longest path from the sources: every forward edge goes at least one layer to the right. */
function assignLayers(nodes: string[], forward: GraphEdge[]): Map<string, number> {
  const layer = new Map<string, number>(nodes.map((n) => [n, 0]));
  const indegree = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (const e of forward) indegree.set(e.child, (indegree.get(e.child) ?? 0) + 1);
  const ready = nodes.filter((n) => indegree.get(n) === 0);
  while (ready.length > 0) {
    const node = ready.shift() as string;
    for (const e of forward) {
      if (e.parent !== node) continue;
      layer.set(e.child, Math.max(layer.get(e.child) ?? 0, (layer.get(node) ?? 0) + 1));
      const left = (indegree.get(e.child) ?? 0) - 1;
      indegree.set(e.child, left);
      if (left === 0) ready.push(e.child);
    }
  }
  return layer;
}

export function layeredLayout(
  ids: readonly string[],
  edges: readonly GraphEdge[],
  g: GraphGeometry,
): GraphLayout {
  const nodes = [...new Set([...ids, ...edges.flatMap((e) => [e.parent, e.child])])].sort();
  const out = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const e of edges) if (e.parent !== e.child) out.get(e.parent)?.push(e.child);
  for (const list of out.values()) list.sort();
  const backEdges = findBackEdges(nodes, out);
  const forward = edges.filter((e) => e.parent !== e.child && !backEdges.has(edgeKey(e)));
  const layer = assignLayers(nodes, forward);

  // Long edges get a chain of placeholder nodes, one per layer crossed, ordered like real nodes.
  const dummyChains = new Map<string, string[]>();
  const segments: GraphEdge[] = [];
  const allNodes = [...nodes];
  for (const e of forward) {
    const from = layer.get(e.parent) ?? 0;
    const to = layer.get(e.child) ?? 0;
    if (to - from <= 1) {
      segments.push(e);
      continue;
    }
    const chain: string[] = [];
    let previous = e.parent;
    for (let l = from + 1; l < to; l++) {
      const dummy = `\u0000${edgeKey(e)}\u0000${l}`;
      chain.push(dummy);
      allNodes.push(dummy);
      layer.set(dummy, l);
      segments.push({ parent: previous, child: dummy });
      previous = dummy;
    }
    segments.push({ parent: previous, child: e.child });
    dummyChains.set(edgeKey(e), chain);
  }

  const layerCount = Math.max(0, ...layer.values()) + 1;
  const layers: string[][] = Array.from({ length: layerCount }, () => []);
  for (const n of allNodes) layers[layer.get(n) ?? 0]?.push(n);

  // Barycenter sweeps: order each layer by the mean position of its neighbours in the layer before (or after).
  const position = new Map<string, number>();
  const index = () => {
    for (const list of layers) {
      list.forEach((n, i) => {
        position.set(n, i);
      });
    }
  };
  index();
  const upstream = new Map<string, string[]>();
  const downstream = new Map<string, string[]>();
  for (const s of segments) {
    upstream.set(s.child, [...(upstream.get(s.child) ?? []), s.parent]);
    downstream.set(s.parent, [...(downstream.get(s.parent) ?? []), s.child]);
  }
  for (let sweep = 0; sweep < 6; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const list of order) {
      const weight = new Map<string, number>();
      for (const n of list) {
        const around = ((down ? upstream : downstream).get(n) ?? []).map((m) => position.get(m) ?? 0);
        const own = position.get(n) ?? 0;
        weight.set(n, around.length === 0 ? own : around.reduce((a, b) => a + b, 0) / around.length);
      }
      list.sort(
        (a, b) =>
          (weight.get(a) ?? 0) - (weight.get(b) ?? 0) || (position.get(a) ?? 0) - (position.get(b) ?? 0),
      );
      index();
    }
  }

  const tallest = Math.max(1, ...layers.map((l) => l.length));
  const rowPitch = g.nodeHeight + g.rowGap;
  const placed = new Map<string, PlacedNode>();
  layers.forEach((list, l) => {
    const offset = ((tallest - list.length) * rowPitch) / 2;
    list.forEach((id, order) => {
      placed.set(id, {
        id,
        layer: l,
        order,
        x: l * (g.nodeWidth + g.layerGap),
        y: offset + order * rowPitch,
      });
    });
  });
  const waypoints = new Map<string, { x: number; y: number }[]>();
  for (const [key, chain] of dummyChains) {
    waypoints.set(
      key,
      chain.map((d) => {
        const p = placed.get(d) as PlacedNode;
        placed.delete(d);
        return { x: p.x, y: p.y };
      }),
    );
  }
  return {
    nodes: placed,
    waypoints,
    backEdges,
    width: layerCount * g.nodeWidth + (layerCount - 1) * g.layerGap,
    height: tallest * g.nodeHeight + (tallest - 1) * g.rowGap,
  };
}
