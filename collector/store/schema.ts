import Database from "better-sqlite3";

export const SCHEMA_VERSION = 1;

/**
 * One SQLite file holds every signal. Attribute maps, events, links and point details live inline as JSON
 * text (never one row per attribute); resources and scopes are interned once and referenced by id. Ids are
 * 16- and 8-byte BLOBs, timestamps integer nanoseconds since the Unix epoch.
 *
 * Experiment runs live beside the telemetry (`runs` and its `run_*` tables, written by the chaos engine through
 * collector/store/runs.ts): their times are epoch milliseconds, as the engine keeps them, and retention leaves
 * them alone, since a run stays worth reading after its spans are gone.
 */
const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS resources (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  service_name TEXT NOT NULL,
  service_instance_id TEXT NOT NULL,
  attributes TEXT NOT NULL,
  dropped_attributes_count INTEGER NOT NULL,
  schema_url TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS scopes (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  attributes TEXT NOT NULL,
  dropped_attributes_count INTEGER NOT NULL,
  schema_url TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS spans (
  trace_id BLOB NOT NULL,
  span_id BLOB NOT NULL,
  parent_span_id BLOB,
  trace_state TEXT NOT NULL,
  flags INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  duration_ns INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  status_message TEXT NOT NULL,
  service_name TEXT NOT NULL,
  resource_id INTEGER NOT NULL REFERENCES resources(id),
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  attributes TEXT NOT NULL,
  events TEXT NOT NULL,
  links TEXT NOT NULL,
  dropped_attributes_count INTEGER NOT NULL,
  dropped_events_count INTEGER NOT NULL,
  dropped_links_count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spans_by_trace ON spans(trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_by_service_start ON spans(service_name, start_ns);
CREATE INDEX IF NOT EXISTS spans_by_start ON spans(start_ns);

CREATE TABLE IF NOT EXISTS metric_series (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  resource_id INTEGER NOT NULL REFERENCES resources(id),
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  service_name TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  unit TEXT NOT NULL,
  type TEXT NOT NULL,
  temporality INTEGER NOT NULL,
  monotonic INTEGER NOT NULL,
  attributes TEXT NOT NULL,
  metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metric_series_by_name ON metric_series(name);

CREATE TABLE IF NOT EXISTS metric_points (
  series_id INTEGER NOT NULL REFERENCES metric_series(id),
  start_ns INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  value REAL,
  count INTEGER,
  sum REAL,
  min REAL,
  max REAL,
  flags INTEGER NOT NULL,
  detail TEXT,
  exemplars TEXT
);
CREATE INDEX IF NOT EXISTS metric_points_by_series_time ON metric_points(series_id, time_ns);
CREATE INDEX IF NOT EXISTS metric_points_by_time ON metric_points(time_ns);

CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY,
  ts_ns INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  observed_ns INTEGER NOT NULL,
  severity_number INTEGER NOT NULL,
  severity_text TEXT NOT NULL,
  body TEXT NOT NULL,
  attributes TEXT NOT NULL,
  dropped_attributes_count INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  trace_id BLOB,
  span_id BLOB,
  event_name TEXT NOT NULL,
  service_name TEXT NOT NULL,
  resource_id INTEGER NOT NULL REFERENCES resources(id),
  scope_id INTEGER NOT NULL REFERENCES scopes(id)
);
CREATE INDEX IF NOT EXISTS logs_by_trace ON logs(trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_by_service_ts ON logs(service_name, ts_ns);
CREATE INDEX IF NOT EXISTS logs_by_ts ON logs(ts_ns);

CREATE VIRTUAL TABLE IF NOT EXISTS logs_fts USING fts5(body, content='', contentless_delete=1);

CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  group_id TEXT NOT NULL,
  title TEXT NOT NULL,
  file TEXT NOT NULL,
  description TEXT,
  control TEXT,
  status TEXT NOT NULL,
  verdict TEXT,
  reason TEXT,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER,
  method_start_ms INTEGER,
  method_end_ms INTEGER,
  engine_pid INTEGER,
  engine_start_ticks TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs(start_ms);
CREATE INDEX IF NOT EXISTS runs_by_group ON runs(group_id, start_ms);

CREATE TABLE IF NOT EXISTS run_phases (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  name TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS run_faults (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  position INTEGER NOT NULL,
  action_id TEXT NOT NULL,
  fault TEXT NOT NULL,
  target TEXT NOT NULL,
  config TEXT NOT NULL,
  scheduled_at_ms INTEGER NOT NULL,
  injected_at_ms INTEGER,
  verified_at_ms INTEGER,
  healed_at_ms INTEGER,
  verification TEXT,
  error TEXT,
  PRIMARY KEY (run_id, action_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS run_outcomes (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  stage TEXT NOT NULL,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  description TEXT,
  window_label TEXT NOT NULL,
  window_start_ms INTEGER,
  window_end_ms INTEGER,
  valid TEXT NOT NULL,
  measured REAL,
  unit TEXT NOT NULL,
  bar TEXT,
  reason TEXT,
  trace_ids TEXT NOT NULL,
  PRIMARY KEY (run_id, stage, position)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS run_series (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  unit TEXT NOT NULL,
  points TEXT NOT NULL,
  PRIMARY KEY (run_id, position)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS run_failing_requests (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  position INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  status INTEGER,
  latency_ms REAL,
  trace_id TEXT,
  PRIMARY KEY (run_id, position)
) WITHOUT ROWID;
`;

export interface OpenOptions {
  readonly?: boolean;
}

/**
 * Opens (and on first use creates) a Shakedown database. WAL lets API readers run beside the one writer;
 * synchronous=NORMAL keeps every committed transaction across a process crash (SIGKILL), which is the
 * durability the collector promises; only an operating-system crash can lose the last commits.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  if (options.readonly) {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    return db;
  }
  const db = new Database(path);
  db.pragma("busy_timeout = 5000");
  // auto_vacuum only takes effect before the first table exists; retention relies on it to shrink the file.
  db.pragma("auto_vacuum = INCREMENTAL");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("temp_store = MEMORY");
  // Index pages of a busy spans table stay in memory, and checkpoints run every ~40 MB of WAL, not every 4 MB.
  db.pragma("cache_size = -65536");
  db.pragma("wal_autocheckpoint = 10000");
  db.exec(SCHEMA_SQL);
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)").run(
    String(SCHEMA_VERSION),
  );
  return db;
}
