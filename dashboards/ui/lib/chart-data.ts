/** Shapes API answers into uPlot's aligned columns: x in Unix seconds, one y column per series, null for gaps. */

export type Columns = [number[], ...(number | null)[][]];

export function alignPoints(series: readonly { points: readonly { t: number; v: number }[] }[]): Columns {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
  const slot = new Map(times.map((t, i) => [t, i]));
  const columns = series.map((s) => {
    const ys = new Array<number | null>(times.length).fill(null);
    for (const p of s.points) ys[slot.get(p.t) as number] = Number.isFinite(p.v) ? p.v : null;
    return ys;
  });
  return [times.map((t) => t / 1000), ...columns];
}

/** One column per picked field of time buckets (`startMs` plus numbers or nulls). */
export function bucketColumns<B extends { startMs: number }>(
  buckets: readonly B[],
  fields: readonly (keyof B)[],
): Columns {
  return [
    buckets.map((b) => b.startMs / 1000),
    ...fields.map((f) =>
      buckets.map((b) => {
        const v = b[f];
        return typeof v === "number" && Number.isFinite(v) ? v : null;
      }),
    ),
  ];
}

/** An SVG polyline's `points` for a sparkline of `values` in a width × height box; gaps break nothing, they are skipped. */
export function sparklinePoints(
  values: readonly (number | null)[],
  width: number,
  height: number,
  max?: number,
): string {
  const top = max ?? Math.max(0, ...values.filter((v): v is number => v !== null));
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points: string[] = [];
  values.forEach((v, i) => {
    if (v === null) return;
    const y = top > 0 ? height - (v / top) * (height - 2) - 1 : height - 1;
    points.push(`${(i * step).toFixed(1)},${y.toFixed(1)}`);
  });
  return points.join(" ");
}
