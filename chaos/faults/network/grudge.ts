import { NetworkTargetError } from "./errors.js";

/** How a partition splits the nodes, after Jepsen's partitioners. */
export type PartitionKind = "isolate" | "halves" | "bridge" | "one-way" | "groups";

export interface PartitionSpec {
  readonly kind: PartitionKind;
  /** isolate: the node cut off from all others (random when omitted). */
  readonly node?: string;
  /** groups: nodes in different groups cannot reach each other; nodes in none keep reaching everyone. */
  readonly groups?: readonly (readonly string[])[];
  /** one-way: `from` nodes cannot reach `to` nodes, while `to` nodes still reach `from` nodes. */
  readonly from?: readonly string[];
  readonly to?: readonly string[];
}

/**
 * Who cannot reach whom (Jepsen calls it a grudge): `blocked` holds directed pairs [source, destination];
 * `groups` are the sides, for reports and for picking probes.
 */
export interface Grudge {
  readonly groups: readonly (readonly string[])[];
  readonly blocked: readonly (readonly [string, string])[];
}

/** A small seeded generator (mulberry32), so a partition drawn at random can be drawn again from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffled(nodes: readonly string[], random: () => number): string[] {
  const copy = [...nodes];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as string, copy[i] as string];
  }
  return copy;
}

/** Every directed pair between different groups. */
function cutBetween(groups: readonly (readonly string[])[]): [string, string][] {
  const blocked: [string, string][] = [];
  for (const [i, a] of groups.entries()) {
    for (const [j, b] of groups.entries()) {
      if (i === j) continue;
      for (const source of a) for (const destination of b) blocked.push([source, destination]);
    }
  }
  return blocked;
}

/** Turns a partition spec into a grudge over `nodes` (the participants, in a stable order). */
export function grudgeOf(spec: PartitionSpec, nodes: readonly string[], random: () => number): Grudge {
  const fail = (problem: string): never => {
    throw new NetworkTargetError("partition", problem);
  };
  const known = new Set(nodes);
  const check = (names: readonly string[], field: string) => {
    const unknown = names.filter((name) => !known.has(name));
    if (unknown.length > 0)
      fail(`${field} names unknown nodes ${unknown.join(", ")} (known: ${nodes.join(", ")})`);
  };
  if (nodes.length < 2) fail(`a partition needs at least 2 nodes, the target has ${nodes.length}`);

  switch (spec.kind) {
    case "isolate": {
      const node = spec.node ?? (shuffled(nodes, random)[0] as string);
      check([node], "node");
      const groups = [[node], nodes.filter((n) => n !== node)];
      return { groups, blocked: cutBetween(groups) };
    }
    case "halves": {
      const order = shuffled(nodes, random);
      const half = Math.floor(order.length / 2);
      const groups = [order.slice(0, half), order.slice(half)];
      return { groups, blocked: cutBetween(groups) };
    }
    case "bridge": {
      if (nodes.length < 3) fail(`a bridge needs at least 3 nodes, the target has ${nodes.length}`);
      const order = shuffled(nodes, random);
      const half = Math.floor(order.length / 2);
      // The middle node sits in neither side's grudge: it still reaches, and is reached by, everyone.
      const left = order.slice(0, half);
      const middle = order.slice(half, half + 1);
      const right = order.slice(half + 1);
      return { groups: [left, middle, right], blocked: cutBetween([left, right]) };
    }
    case "one-way": {
      const from = spec.from ?? [];
      const to = spec.to ?? [];
      if (from.length === 0 || to.length === 0) fail("one-way needs non-empty `from` and `to`");
      check(from, "from");
      check(to, "to");
      const overlap = from.filter((node) => to.includes(node));
      if (overlap.length > 0) fail(`nodes in both from and to: ${overlap.join(", ")}`);
      const blocked: [string, string][] = [];
      for (const source of from) for (const destination of to) blocked.push([source, destination]);
      return { groups: [[...from], [...to]], blocked };
    }
    case "groups": {
      const groups = (spec.groups ?? []).filter((group) => group.length > 0);
      if (groups.length < 2) fail("groups needs at least two non-empty groups");
      const all = groups.flat();
      check(all, "groups");
      const twice = all.filter((node, index) => all.indexOf(node) !== index);
      if (twice.length > 0) fail(`nodes in more than one group: ${[...new Set(twice)].join(", ")}`);
      return { groups, blocked: cutBetween(groups) };
    }
  }
}

/** Whether `source` may reach `destination` under the grudge. */
export function blocks(grudge: Grudge, source: string, destination: string): boolean {
  return grudge.blocked.some(([s, d]) => s === source && d === destination);
}

/**
 * Pairs worth probing: one blocked and one open pair for every ordered pair of groups (and within each
 * group), so verification covers every relation the partition defines without probing all n² pairs.
 */
export function representativePairs(
  grudge: Grudge,
  nodes: readonly string[],
): { blocked: [string, string][]; open: [string, string][] } {
  const groupOf = (node: string) => grudge.groups.findIndex((group) => group.includes(node));
  const seen = new Set<string>();
  const blocked: [string, string][] = [];
  const open: [string, string][] = [];
  for (const source of nodes) {
    for (const destination of nodes) {
      if (source === destination) continue;
      const isBlocked = blocks(grudge, source, destination);
      const key = `${groupOf(source)}>${groupOf(destination)}:${isBlocked}`;
      if (seen.has(key)) continue;
      seen.add(key);
      (isBlocked ? blocked : open).push([source, destination]);
    }
  }
  return { blocked, open };
}
