import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { MalformedJournalError } from "../experiment/errors.js";
import type { Injection, JsonObject, Target } from "../experiment/fault-unit.js";
import type { RunStatus } from "./status.js";

/**
 * One line of the write-ahead journal. The intent is written (and fsync'd) before a fault is injected, the
 * injection record once inject returned, `healed` once heal returned; an intent without `healed` is what a
 * crashed run left behind.
 */
export type JournalRecord =
  | { v: 1; type: "run-started"; runId: string; title: string; file: string; timeMillis: number }
  | {
      v: 1;
      type: "intent";
      runId: string;
      actionId: string;
      fault: string;
      target: Target;
      config: JsonObject;
      timeMillis: number;
    }
  | { v: 1; type: "injected"; runId: string; actionId: string; injection: Injection; timeMillis: number }
  | { v: 1; type: "healed"; runId: string; actionId: string; timeMillis: number }
  | { v: 1; type: "run-ended"; runId: string; status: RunStatus; timeMillis: number };

type Distribute<T> = T extends unknown ? Omit<T, "v"> : never;
export type JournalEntry = Distribute<JournalRecord>;

/** Where the run loop records what it applies; `append` returns only once the record is durable. */
export interface Journal {
  append(entry: JournalEntry): void;
}

/** A journal kept in memory: for tests and dry runs, where nothing needs recovering after a crash. */
export class MemoryJournal implements Journal {
  readonly records: JournalRecord[] = [];
  append(entry: JournalEntry): void {
    this.records.push({ v: 1, ...entry } as JournalRecord);
  }
}

/**
 * An append-only JSON-lines file, fsync'd after every record so that a fault is on disk before it is
 * injected. Writes are synchronous on purpose: the next step must not start before the record is durable.
 */
export class FileJournal implements Journal {
  private fd: number | null;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    const created = !existsSync(path);
    this.fd = openSync(path, "a");
    if (created) syncDirectory(dirname(path));
  }

  append(entry: JournalEntry): void {
    if (this.fd === null) throw new Error(`journal ${this.path} is closed`);
    writeSync(this.fd, `${JSON.stringify({ v: 1, ...entry })}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Makes a new file's directory entry durable too, so the journal itself survives a power cut. */
function syncDirectory(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const TYPES = new Set(["run-started", "intent", "injected", "healed", "run-ended"]);

/**
 * Every record of a journal file; a missing file has none. A torn last line (the engine died mid-write) is
 * skipped; a bad line anywhere else means the file is not a journal and is reported with its line number.
 */
export function readJournal(path: string): JournalRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  const records: JournalRecord[] = [];
  lines.forEach((line, index) => {
    if (line === "") return;
    const last = index === lines.length - 1;
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      if (last) return;
      throw new MalformedJournalError(path, index + 1, "not JSON");
    }
    if (record?.v !== 1 || !TYPES.has(record.type)) {
      throw new MalformedJournalError(
        path,
        index + 1,
        `not a version 1 journal record: ${line.slice(0, 80)}`,
      );
    }
    records.push(record);
  });
  return records;
}

/** A fault that was (or may have been) injected and never healed. */
export interface PendingInjection {
  readonly runId: string;
  readonly actionId: string;
  readonly fault: string;
  readonly target: Target;
  readonly config: JsonObject;
  /** Null when the engine died inside inject, before the injection could be journaled. */
  readonly injection: Injection | null;
  readonly intendedAtMillis: number;
}

/** Intents without a `healed` record, in the order they were journaled. */
export function pendingInjections(path: string): PendingInjection[] {
  const pending = new Map<string, PendingInjection>();
  for (const record of readJournal(path)) {
    const key = `${record.runId}\u0000${"actionId" in record ? record.actionId : ""}`;
    if (record.type === "intent") {
      const { runId, actionId, fault, target, config, timeMillis } = record;
      pending.set(key, {
        runId,
        actionId,
        fault,
        target,
        config,
        injection: null,
        intendedAtMillis: timeMillis,
      });
    } else if (record.type === "injected") {
      const found = pending.get(key);
      if (found !== undefined) pending.set(key, { ...found, injection: record.injection });
    } else if (record.type === "healed") {
      pending.delete(key);
    }
  }
  return [...pending.values()];
}
