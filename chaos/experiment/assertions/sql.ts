import type { AssertionKind } from "./types.js";

interface SqlParams {
  query: string;
}

/**
 * Any number the collector's SQLite can compute, for what the other kinds do not cover (e.g. database calls
 * per second at catalog from its client spans). The window is bound as @start_ns, @end_ns, @start_ms, @end_ms.
 */
export const sql: AssertionKind<SqlParams> = {
  name: "sql",
  description: "A read-only SQL query on the collector's database that returns one number.",
  properties: { query: { type: "string", pattern: "^\\s*([Ss][Ee][Ll][Ee][Cc][Tt]|[Ww][Ii][Tt][Hh])\\b" } },
  required: ["query"],
  bar: true,
  windowed: true,
  unit: "",
  async evaluate(params, context) {
    const value = await context.telemetry.sqlScalar(params.query, context.window);
    return value === null ? { measured: null, reason: "the query returned no value" } : { measured: value };
  },
};
