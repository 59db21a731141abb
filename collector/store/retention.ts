import type Database from "better-sqlite3";

export interface RetentionPolicy {
  /** Data older than this (by its own timestamp) is deleted; 0 keeps everything. */
  maxAgeMillis: number;
  /** When the live data exceeds this many bytes the oldest data goes first; 0 sets no bound. */
  maxBytes: number;
}

export interface RetentionResult {
  deletedRows: number;
  liveBytes: number;
}

/** Rows deleted per statement, so that the writer never holds the database for long. */
const CHUNK_ROWS = 20_000;
const SIZE_PASSES = 20;

/**
 * Deletes by age, then by size (oldest insertions first, a slice of each table per pass), and hands freed
 * pages back to the file system through incremental vacuum.
 */
export function applyRetention(
  db: Database.Database,
  policy: RetentionPolicy,
  nowMillis: number,
): RetentionResult {
  let deletedRows = 0;
  const byAge = [
    "DELETE FROM spans WHERE rowid IN (SELECT rowid FROM spans WHERE start_ns < ? LIMIT ?)",
    "DELETE FROM metric_points WHERE rowid IN (SELECT rowid FROM metric_points WHERE time_ns < ? LIMIT ?)",
    "DELETE FROM logs_fts WHERE rowid IN (SELECT id FROM logs WHERE ts_ns < ? LIMIT ?)",
    "DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE ts_ns < ? LIMIT ?)",
  ].map((sql) => db.prepare(sql));
  if (policy.maxAgeMillis > 0) {
    const cutoff = BigInt(Math.floor(nowMillis - policy.maxAgeMillis)) * 1_000_000n;
    for (const statement of byAge) deletedRows += drain(() => statement.run(cutoff, CHUNK_ROWS).changes);
  }
  if (policy.maxBytes > 0) {
    const oldest = [
      "DELETE FROM spans WHERE rowid IN (SELECT rowid FROM spans ORDER BY rowid LIMIT (SELECT count(*) / 10 + 1 FROM spans))",
      "DELETE FROM metric_points WHERE rowid IN (SELECT rowid FROM metric_points ORDER BY rowid LIMIT (SELECT count(*) / 10 + 1 FROM metric_points))",
      "DELETE FROM logs_fts WHERE rowid IN (SELECT id FROM logs ORDER BY id LIMIT (SELECT count(*) / 10 + 1 FROM logs))",
      "DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY id LIMIT (SELECT count(*) / 10 + 1 FROM logs))",
    ].map((sql) => db.prepare(sql));
    for (let pass = 0; pass < SIZE_PASSES && liveBytes(db) > policy.maxBytes; pass++) {
      db.transaction(() => {
        for (const statement of oldest) deletedRows += statement.run().changes;
      })();
    }
  }
  if (deletedRows > 0) db.pragma("incremental_vacuum");
  return { deletedRows, liveBytes: liveBytes(db) };
}

function drain(step: () => number): number {
  let total = 0;
  for (let changed = step(); changed > 0; changed = step()) total += changed;
  return total;
}

/** Bytes in pages that hold data: the file size less its free pages. */
export function liveBytes(db: Database.Database): number {
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  const pages = db.pragma("page_count", { simple: true }) as number;
  const free = db.pragma("freelist_count", { simple: true }) as number;
  return (pages - free) * pageSize;
}
