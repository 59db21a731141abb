import { BadDataError } from "../errors.js";

/**
 * A parser for the Prometheus text exposition format 0.0.4.
 *
 * Written here because `parse-prometheus-text-format` (the npm package for this) merges every label set of a
 * labelled histogram or summary into one sample, drops their `_sum`/`_count`, loses a last line without a
 * newline and accepts garbage as samples.
 */

export type FamilyType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

const FAMILY_TYPES: readonly FamilyType[] = ["counter", "gauge", "histogram", "summary", "untyped"];

export interface Sample {
  /** The sample's own name, with a histogram's or summary's `_bucket`, `_sum` or `_count` suffix. */
  name: string;
  /** Null-prototype map, since `__proto__` is a valid label name. */
  labels: Record<string, string>;
  value: number;
  timestampMillis: number | null;
}

export interface MetricFamily {
  name: string;
  type: FamilyType;
  /** Whether a `# TYPE` line declared the type; without one the family is untyped by default. */
  typed: boolean;
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const METRIC_NAME_AT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME_AT = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const METADATA = /^#[ \t]*(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/;

/** Float syntax as Go's ParseFloat reads it in the reference parser, short of hex floats and underscores. */
export function parseFloatValue(text: string): number | null {
  if (DECIMAL.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (/^[+-]?inf(inity)?$/.test(lower)) return lower.startsWith("-") ? -Infinity : Infinity;
  return null;
}

function fail(lineNumber: number, problem: string): never {
  throw new BadDataError(`exposition line ${lineNumber}: ${problem}`);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
}

function skipBlanks(line: string, at: number): number {
  while (line[at] === " " || line[at] === "\t") at++;
  return at;
}

function match(pattern: RegExp, line: string, at: number): string | null {
  pattern.lastIndex = at;
  return pattern.exec(line)?.[0] ?? null;
}

/** Reads a quoted label value starting after its opening quote; returns the value and the index past the quote. */
function labelValue(line: string, at: number, lineNumber: number): [string, number] {
  let value = "";
  for (let i = at; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return [value, i + 1];
    if (c === "\\") {
      const next = line[++i];
      // Other escapes stay verbatim, as the reference parser keeps them.
      if (next === "n") value += "\n";
      else if (next === "\\" || next === '"') value += next;
      else if (next !== undefined) value += `\\${next}`;
    } else {
      value += c;
    }
  }
  return fail(lineNumber, "unterminated label value");
}

function parseSample(line: string, lineNumber: number): Sample {
  let at = skipBlanks(line, 0);
  const name = match(METRIC_NAME_AT, line, at);
  if (name === null) fail(lineNumber, `expected a metric name, found ${quote(line.slice(at))}`);
  at += name.length;
  const labels: Record<string, string> = Object.create(null);
  if (line[at] === "{") {
    at++;
    for (;;) {
      at = skipBlanks(line, at);
      if (line[at] === "}") break;
      const label = match(LABEL_NAME_AT, line, at);
      if (label === null)
        fail(lineNumber, `expected a label name in ${name}, found ${quote(line.slice(at))}`);
      at = skipBlanks(line, at + label.length);
      if (line[at] !== "=") fail(lineNumber, `expected "=" after label ${label} of ${name}`);
      at = skipBlanks(line, at + 1);
      if (line[at] !== '"') fail(lineNumber, `expected a quoted value for label ${label} of ${name}`);
      const [value, end] = labelValue(line, at + 1, lineNumber);
      if (Object.hasOwn(labels, label)) fail(lineNumber, `label ${label} repeated in ${name}`);
      labels[label] = value;
      at = skipBlanks(line, end);
      if (line[at] === ",") at++;
      else if (line[at] !== "}") fail(lineNumber, `expected "," or "}" after label ${label} of ${name}`);
    }
    at++;
  } else if (at < line.length && line[at] !== " " && line[at] !== "\t") {
    fail(lineNumber, `unexpected character ${quote(line[at] ?? "")} after metric name ${name}`);
  }
  const tokens = line
    .slice(at)
    .trim()
    .split(/[ \t]+/);
  const [valueText = "", timestampText, extra] = tokens;
  if (valueText === "") fail(lineNumber, `missing value for ${name}`);
  if (extra !== undefined) fail(lineNumber, `unexpected text ${quote(extra)} after the timestamp of ${name}`);
  const value = parseFloatValue(valueText);
  if (value === null) fail(lineNumber, `invalid value ${quote(valueText)} for ${name}`);
  let timestampMillis: number | null = null;
  if (timestampText !== undefined) {
    if (!INTEGER.test(timestampText))
      fail(lineNumber, `invalid timestamp ${quote(timestampText)} for ${name}`);
    timestampMillis = Number(timestampText);
  }
  return { name, labels, value, timestampMillis };
}

/** The family a sample belongs to: its own name, or a histogram's or summary's name without the suffix. */
function familyName(sampleName: string, types: ReadonlyMap<string, FamilyType>): string {
  if (types.has(sampleName)) return sampleName;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const type = types.get(base);
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return sampleName;
}

/**
 * Parses one scrape body into metric families in order of first appearance. Throws BadDataError naming the
 * line and the problem; a scrape with any malformed line is rejected whole, as Prometheus rejects it.
 */
export function parseExposition(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  const types = new Map<string, FamilyType>();
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: types.get(name) ?? "untyped", typed: types.has(name), help: "", samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const helped = new Set<string>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = (lines[i] ?? "").replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (trimmed.startsWith("#")) {
      const meta = METADATA.exec(trimmed);
      if (meta === null) continue;
      const [, keyword, name = "", rest = ""] = meta;
      if (!METRIC_NAME.test(name)) fail(lineNumber, `invalid metric name ${quote(name)} in ${keyword}`);
      if (keyword === "HELP") {
        if (helped.has(name)) fail(lineNumber, `second HELP for ${name}`);
        helped.add(name);
        family(name).help = unescapeHelp(rest);
        continue;
      }
      const type = rest.trim().toLowerCase() as FamilyType;
      if (!FAMILY_TYPES.includes(type)) fail(lineNumber, `unknown type ${quote(rest.trim())} for ${name}`);
      if (types.has(name)) fail(lineNumber, `second TYPE for ${name}`);
      const existing = families.get(name);
      if (existing !== undefined && existing.samples.length > 0)
        fail(lineNumber, `TYPE for ${name} after its samples`);
      types.set(name, type);
      const f = family(name);
      f.type = type;
      f.typed = true;
      continue;
    }
    const sample = parseSample(line, lineNumber);
    family(familyName(sample.name, types)).samples.push(sample);
  }
  return [...families.values()];
}
