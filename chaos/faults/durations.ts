import { parseDuration } from "../../cli/units.js";
import { DURATION_PATTERN } from "../experiment/schema.js";

/** A config duration as experiment files write it: `500ms`, `5s`. */
export const durationSchema = { type: "string", pattern: DURATION_PATTERN } as const;

export function durationMillis(value: unknown, defaultMillis: number): number {
  return typeof value === "string" ? parseDuration(value) : defaultMillis;
}
