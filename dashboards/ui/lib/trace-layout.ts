/** The span tree of one trace and each span's place on the waterfall, computed in BigInt nanoseconds. */

export interface LayoutSpan {
  spanId: string;
  parentSpanId: string | null;
  startNs: string;
  endNs: string;
}

export interface WaterfallRow<S extends LayoutSpan> {
  span: S;
  /** Index of the row in depth-first order. */
  index: number;
  depth: number;
  /** Row index of the parent, or -1 for a root. */
  parentIndex: number;
  childCount: number;
  /** Rows below this one that belong to its subtree. */
  descendantCount: number;
  /** The span names a parent that was never received. */
  orphan: boolean;
  offsetNs: bigint;
  durationNs: bigint;
}

export interface WaterfallLayout<S extends LayoutSpan> {
  rows: WaterfallRow<S>[];
  startNs: bigint;
  endNs: bigint;
  durationNs: bigint;
}

const byStart = <S extends LayoutSpan>(a: S, b: S): number => {
  const diff = BigInt(a.startNs) - BigInt(b.startNs);
  return diff < 0n ? -1 : diff > 0n ? 1 : a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
};

/**
 * Rows in depth-first order, children by start time. Spans whose parent is missing become roots marked as
 * orphans; spans caught in a parent cycle (malformed input) are appended as orphans too, so none is lost.
 */
export function layoutTrace<S extends LayoutSpan>(spans: readonly S[]): WaterfallLayout<S> {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, S[]>();
  const roots: S[] = [];
  let startNs: bigint | undefined;
  let endNs: bigint | undefined;
  for (const span of spans) {
    const start = BigInt(span.startNs);
    const end = BigInt(span.endNs);
    if (startNs === undefined || start < startNs) startNs = start;
    if (endNs === undefined || end > endNs) endNs = end;
    const parent = span.parentSpanId;
    if (parent !== null && parent !== span.spanId && ids.has(parent)) {
      const siblings = children.get(parent);
      if (siblings === undefined) children.set(parent, [span]);
      else siblings.push(span);
    } else {
      roots.push(span);
    }
  }
  const traceStart = startNs ?? 0n;
  const traceEnd = endNs ?? traceStart;
  for (const list of children.values()) list.sort(byStart);
  roots.sort(byStart);

  const rows: WaterfallRow<S>[] = [];
  const placed = new Set<string>();
  const place = (root: S, orphan: boolean) => {
    // An explicit stack: a 5,000-deep chain of spans would overflow recursion.
    const stack: { span: S; depth: number; parentIndex: number; orphan: boolean }[] = [
      { span: root, depth: 0, parentIndex: -1, orphan },
    ];
    while (stack.length > 0) {
      const item = stack.pop() as (typeof stack)[number];
      if (placed.has(item.span.spanId)) continue;
      placed.add(item.span.spanId);
      const start = BigInt(item.span.startNs);
      const end = BigInt(item.span.endNs);
      const index = rows.length;
      const kids = children.get(item.span.spanId) ?? [];
      rows.push({
        span: item.span,
        index,
        depth: item.depth,
        parentIndex: item.parentIndex,
        childCount: kids.length,
        descendantCount: 0,
        orphan: item.orphan,
        offsetNs: start - traceStart,
        durationNs: end > start ? end - start : 0n,
      });
      for (let i = kids.length - 1; i >= 0; i--) {
        stack.push({ span: kids[i] as S, depth: item.depth + 1, parentIndex: index, orphan: false });
      }
    }
  };
  for (const root of roots) place(root, root.parentSpanId !== null);
  for (const span of [...spans].sort(byStart)) if (!placed.has(span.spanId)) place(span, true);

  // Depth-first order puts a subtree right after its root, so counts add up from the bottom.
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i] as WaterfallRow<S>;
    if (row.parentIndex >= 0) {
      const parent = rows[row.parentIndex] as WaterfallRow<S>;
      parent.descendantCount += row.descendantCount + 1;
    }
  }
  return { rows, startNs: traceStart, endNs: traceEnd, durationNs: traceEnd - traceStart };
}

/** Position in percent of the trace with 1e-7 % resolution: exact integer arithmetic, then one division. */
const SCALE = 1_000_000_000n;

export function percentOf(partNs: bigint, totalNs: bigint): number {
  if (totalNs <= 0n) return 0;
  return Number((partNs * SCALE) / totalNs) / 1e7;
}

export interface BarGeometry {
  leftPercent: number;
  widthPercent: number;
}

/** Where a span's bar sits on the track; the view gives bars a minimum width in pixels, so none vanishes. */
export function barGeometry(row: { offsetNs: bigint; durationNs: bigint }, totalNs: bigint): BarGeometry {
  return { leftPercent: percentOf(row.offsetNs, totalNs), widthPercent: percentOf(row.durationNs, totalNs) };
}

/** Evenly spaced ruler ticks at round durations (1, 2 or 5 times a power of ten nanoseconds). */
export function rulerTicks(totalNs: bigint, maxTicks: number): bigint[] {
  if (totalNs <= 0n || maxTicks < 1) return [0n];
  let step = 1n;
  const multipliers = [1n, 2n, 5n];
  for (let power = 1n; ; power *= 10n) {
    const found = multipliers.find((m) => totalNs / (m * power) < BigInt(maxTicks));
    if (found !== undefined) {
      step = found * power;
      break;
    }
  }
  const ticks: bigint[] = [];
  for (let t = 0n; t <= totalNs; t += step) ticks.push(t);
  return ticks;
}
