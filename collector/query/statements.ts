import type Database from "better-sqlite3";

const caches = new WeakMap<Database.Database, Map<string, Database.Statement<unknown[], unknown>>>();

/**
 * Prepares `sql` once per connection; queries whose shape depends on the filters given share one statement per
 * shape. Every statement reads integers as BigInt so nanosecond timestamps keep their precision; callers turn
 * small integers (counts, kinds) into numbers themselves.
 */
export function statement<Row>(db: Database.Database, sql: string): Database.Statement<unknown[], Row> {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new Map();
    caches.set(db, cache);
  }
  let stmt = cache.get(sql);
  if (stmt === undefined) {
    stmt = db.prepare(sql).safeIntegers(true);
    cache.set(sql, stmt);
  }
  return stmt as Database.Statement<unknown[], Row>;
}
