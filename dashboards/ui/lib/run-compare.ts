/** Lines up two runs' measurements by name, for a table that puts a case beside its negative control. */

export interface Pair<T> {
  name: string;
  a: T | null;
  b: T | null;
}

/** A's measurements in their order, then those only B has; a name measured twice in one run keeps its first. */
export function pairByName<T extends { name: string }>(a: readonly T[], b: readonly T[]): Pair<T>[] {
  const fromB = new Map<string, T>();
  for (const item of b) if (!fromB.has(item.name)) fromB.set(item.name, item);
  const pairs: Pair<T>[] = [];
  const seen = new Set<string>();
  for (const item of a) {
    if (seen.has(item.name)) continue;
    seen.add(item.name);
    pairs.push({ name: item.name, a: item, b: fromB.get(item.name) ?? null });
  }
  for (const [name, item] of fromB) if (!seen.has(name)) pairs.push({ name, a: null, b: item });
  return pairs;
}
