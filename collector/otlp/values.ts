import { BadDataError } from "../errors.js";
import type { Attributes, AttributeValue } from "../model.js";

/**
 * Readers for OTLP scalar fields that accept both shapes the receivers produce: messages decoded by
 * protobufjs (Long for 64-bit integers, Buffer for bytes) and OTLP/JSON (decimal strings or numbers for
 * 64-bit integers, lowercase hex for ids, base64 for other bytes, enum names or numbers).
 */

// biome-ignore lint/suspicious/noExplicitAny: OTLP input is untyped until these readers have checked it.
export type Loose = any;

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
}

/**
 * Whether a field is set. protobufjs keeps defaults on the message prototype and assigns only the fields the
 * wire carried, so own properties tell presence for oneof members and proto3 `optional` fields alike, and
 * for OTLP/JSON objects just as well.
 */
export function has(message: Loose, field: string): boolean {
  return Object.hasOwn(message, field) && message[field] != null;
}

const isLong = (value: unknown): value is LongLike =>
  typeof value === "object" && value !== null && typeof (value as LongLike).low === "number";

const DECIMAL = /^-?\d+$/;

/** A 64-bit integer as bigint (timestamps). */
export function int64(value: Loose, field: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === "bigint") return value;
  if (isLong(value)) {
    const unsigned = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
    return value.unsigned ? unsigned : BigInt.asIntN(64, unsigned);
  }
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && DECIMAL.test(value)) return BigInt(value);
  throw new BadDataError(`${field} is not a 64-bit integer: ${JSON.stringify(value)}`);
}

/** A 64-bit integer as a JS number (counts): exact up to 2^53. */
export function count(value: Loose, field: string): number {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  return Number(int64(value, field));
}

/** An int64 attribute value: a number while exact, its decimal string beyond 2^53. */
export function intValue(value: Loose): number | string {
  const big = int64(value, "intValue");
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(big)
    : big.toString();
}

export function double(value: Loose, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number") return value;
  // OTLP/JSON follows proto3 JSON, where NaN and the infinities travel as strings.
  if (value === "NaN") return Number.NaN;
  if (value === "Infinity") return Number.POSITIVE_INFINITY;
  if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  throw new BadDataError(`${field} is not a number: ${JSON.stringify(value)}`);
}

/** A proto3 `optional double`: null when the message does not carry it. */
export function optionalDouble(message: Loose, field: string): number | null {
  return has(message, field) ? double(message[field], field) : null;
}

export function uint32(value: Loose, field: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === "string" && DECIMAL.test(value) ? Number(value) : value;
  if (typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff) return n;
  throw new BadDataError(`${field} is not an unsigned 32-bit integer: ${JSON.stringify(value)}`);
}

export function string(value: Loose, field: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  throw new BadDataError(`${field} is not a string: ${JSON.stringify(value)}`);
}

export function bool(value: Loose, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  throw new BadDataError(`${field} is not a boolean: ${JSON.stringify(value)}`);
}

/** An enum field given as its number or, in OTLP/JSON, its name. */
export function enumValue(value: Loose, names: Readonly<Record<string, number>>, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && value in names) return names[value] as number;
  throw new BadDataError(`${field} has an unknown value: ${JSON.stringify(value)}`);
}

const HEX = /^[0-9a-f]*$/i;
const ZERO = /^0*$/;

/**
 * A trace or span id as lowercase hex. Empty stays empty (callers decide whether that is allowed); the spec
 * calls an all-zero id invalid, so it is rejected like a wrong length.
 */
export function id(value: Loose, bytes: 8 | 16, field: string): string {
  let hex: string;
  if (value === undefined || value === null) return "";
  // An absent bytes field decodes to protobufjs's shared default, an empty plain array.
  if (Array.isArray(value) && value.length === 0) return "";
  if (value instanceof Uint8Array) {
    if (value.length === 0) return "";
    hex = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
  } else if (typeof value === "string") {
    if (value === "") return "";
    if (!HEX.test(value)) throw new BadDataError(`${field} is not hex: ${JSON.stringify(value)}`);
    hex = value.toLowerCase();
  } else {
    throw new BadDataError(`${field} is not an id: ${JSON.stringify(value)}`);
  }
  if (hex.length !== bytes * 2)
    throw new BadDataError(`${field} must be ${bytes} bytes, got ${hex.length / 2}`);
  if (ZERO.test(hex)) throw new BadDataError(`${field} is all zeroes`);
  return hex;
}

function bytesValue(value: Loose): string {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  return string(value, "bytesValue");
}

const MAX_DEPTH = 32;

/** An OTLP AnyValue as plain JSON. */
export function anyValue(value: Loose, depth = 0): AttributeValue {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object")
    throw new BadDataError(`AnyValue is not an object: ${JSON.stringify(value)}`);
  if (depth > MAX_DEPTH) throw new BadDataError(`AnyValue nests deeper than ${MAX_DEPTH} levels`);
  if (has(value, "stringValue")) return string(value.stringValue, "stringValue");
  if (has(value, "boolValue")) return bool(value.boolValue, "boolValue");
  if (has(value, "intValue")) return intValue(value.intValue);
  if (has(value, "doubleValue")) return double(value.doubleValue, "doubleValue");
  if (has(value, "arrayValue")) return list(value.arrayValue.values).map((v) => anyValue(v, depth + 1));
  if (has(value, "kvlistValue")) return attributes(value.kvlistValue.values, depth + 1);
  if (has(value, "bytesValue")) return bytesValue(value.bytesValue);
  return null;
}

export function attributes(keyValues: Loose, depth = 0): Attributes {
  const result: Attributes = {};
  for (const kv of list(keyValues)) {
    if (kv === null || typeof kv !== "object") throw new BadDataError("attribute is not a key-value object");
    result[string(kv.key, "attribute key")] = anyValue(kv.value, depth);
  }
  return result;
}

/** A repeated field: absent means empty, anything but an array is malformed. */
export function list(value: Loose): Loose[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  throw new BadDataError(`expected an array, got ${typeof value}`);
}
