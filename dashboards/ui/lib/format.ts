/** Text for numbers and times. Nanosecond values arrive as decimal strings and are handled as BigInt throughout. */

const NS_PER_US = 1_000n;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** About four significant digits, without trailing zeros: 734.1 µs, 12.35 ms, 1.235 s. */
function compact(value: number, unit: string): string {
  const decimals = value >= 100 ? 1 : value >= 10 ? 2 : 3;
  return `${Number(value.toFixed(decimals))} ${unit}`;
}

/** A duration for labels: 734 ns, 734.1 µs, 12.35 ms, 1.235 s, 12.5 min, 3.2 h. */
export function formatDuration(ns: bigint): string {
  const negative = ns < 0n;
  const abs = negative ? -ns : ns;
  const sign = negative ? "-" : "";
  if (abs < NS_PER_US) return `${sign}${abs} ns`;
  // Number() is exact below 2^53 ns (104 days) and the display keeps four digits anyway.
  const n = Number(abs);
  if (abs < NS_PER_MS) return sign + compact(n / 1e3, "µs");
  if (abs < NS_PER_S) return sign + compact(n / 1e6, "ms");
  if (abs < 600n * NS_PER_S) return sign + compact(n / 1e9, "s");
  if (abs < 36_000n * NS_PER_S) return sign + compact(n / 6e10, "min");
  return sign + compact(n / 3.6e12, "h");
}

/** A duration given in (possibly fractional) milliseconds, as the RED and dependency endpoints report it. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  return formatDuration(BigInt(Math.round(ms * 1e6)));
}

/** Every digit of a nanosecond count, grouped by thousands: "300 412 001 ns". */
export function formatNsExact(ns: bigint): string {
  const digits = (ns < 0n ? -ns : ns).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
  return `${ns < 0n ? "-" : ""}${grouped} ns`;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, "0");

/**
 * A nanosecond Unix time with all nine fraction digits, in local time ("2024-06-10 08:13:20.123456789") or UTC
 * (RFC 3339, "2024-06-10T06:13:20.123456789Z"). Date alone would drop everything below the millisecond.
 */
export function formatTimestampNs(ns: bigint, zone: "local" | "utc" = "local"): string {
  const seconds = ns / NS_PER_S;
  const fraction = (ns % NS_PER_S).toString().padStart(9, "0");
  const date = new Date(Number(seconds) * 1000);
  if (zone === "utc") return `${date.toISOString().slice(0, 19)}.${fraction}Z`;
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${fraction}`;
}

/** A local wall-clock time to the millisecond, for lists: "08:13:20.123". */
export function formatClockMs(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A local date and time to the second, for tables spanning days: "06-10 08:13:20". */
export function formatDateTimeMs(ms: number): string {
  const date = new Date(ms);
  return `${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function nsToMs(ns: string | bigint): number {
  const value = BigInt(ns);
  return Number(value / NS_PER_MS) + Number(value % NS_PER_MS) / 1e6;
}

export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return "–";
  if (perSecond === 0) return "0/s";
  return `${Number(perSecond.toPrecision(perSecond < 1 ? 2 : 3))}/s`;
}

export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return "–";
  const percent = ratio * 100;
  if (percent === 0) return "0%";
  return `${Number(percent.toPrecision(percent < 1 ? 2 : 3))}%`;
}

/** A plain number for chart axes and tables: integers grouped, fractions to four significant digits. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return value.toLocaleString("en-US");
  const abs = Math.abs(value);
  if (abs >= 1e6 || (abs > 0 && abs < 1e-3)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** How an attribute value reads in a table: strings as they are, everything else as JSON. */
export function attributeText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
