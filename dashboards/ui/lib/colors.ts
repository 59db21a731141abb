/** A stable colour per service, so one service looks the same on the map, the waterfall and the charts. */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#ff9da7",
  "#9c755f",
  "#86bcb6",
  "#d37295",
  "#8cd17d",
  "#a0cbe8",
];

export function serviceColor(name: string): string {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return PALETTE[(hash >>> 0) % PALETTE.length] as string;
}

/** Series colours for charts, in order. */
export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length] as string;
}
