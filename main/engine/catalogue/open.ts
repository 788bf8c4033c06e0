import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { GraftError } from '../errors';
import { migrate } from './migrate';
import { migrations } from './migrations';

export type Db = Database.Database;

export interface OpenOptions {
  /** Create the file if it does not exist (default true). */
  create?: boolean;
  /** Open for reading only. Left unset, an existing project Graft may not write is opened so. */
  readonly?: boolean;
}

/**
 * Why Graft may only read the existing project at `file`, or null when it may change it
 * (or the file does not exist yet). SQLite in WAL mode writes its journal beside the file,
 * so a folder that cannot be written makes the project read-only too.
 */
export function readOnlyReason(file: string): string | null {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) return null;
  if (!canWrite(abs)) return `the project file ${abs} is read-only`;
  const folder = path.dirname(abs);
  if (!canWrite(folder)) return `the folder ${folder} is read-only, and SQLite keeps its journal beside the project file`;
  return null;
}

function canWrite(target: string): boolean {
  try {
    fs.accessSync(target, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens (or creates) a project file: one SQLite database in WAL mode with foreign
 * keys on, migrated to the newest schema. An existing project that cannot be written
 * (`readOnlyReason`) is opened read-only, so it can still be inspected; `db.readonly` says so.
 */
export function openProject(file: string, options: OpenOptions = {}): Db {
  const create = options.create ?? true;
  const abs = path.resolve(file);
  const exists = fs.existsSync(abs);
  if (!exists && !create) {
    throw new GraftError('not_found', `No project at ${abs}. Create one with "graft import <folder> --project ${file}".`);
  }
  if (!exists) fs.mkdirSync(path.dirname(abs), { recursive: true });
  const readonly = options.readonly ?? readOnlyReason(abs) !== null;
  let db: Db;
  try {
    db = readonly ? openForReading(abs) : connect(abs, { readonly: false, fileMustExist: !create });
  } catch (err) {
    throw new GraftError('io', `Cannot open the project ${abs}: ${(err as Error).message}`);
  }
  try {
    // A read-only connection cannot change the journal mode; the file keeps the WAL mode
    // its writer set, and reads see committed transactions as they land.
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // NORMAL is durable across application crashes in WAL mode; only a power cut can
    // lose the last transactions, never corrupt the file.
    if (!readonly) db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    if (!readonly) migrate(db);
    else refuseOutdatedSchema(db, abs);
  } catch (err) {
    db.close();
    if (err instanceof GraftError) throw err;
    const message = (err as Error).message;
    if (/not a database|malformed/i.test(message)) {
      throw new GraftError('io', `${abs} is not a Graft project (or it is damaged): ${message}`);
    }
    throw new GraftError('io', `Cannot open the project ${abs}: ${message}`);
  }
  return db;
}

function connect(file: string | Buffer, options: { readonly: boolean; fileMustExist: boolean }): Db {
  // Inside Electron run from a checkout, SQLite must be the copy built for Electron's
  // ABI (see main/hosts/electron/native-modules.ts); everywhere else the default build is right.
  const nativeBinding = process.versions.electron ? process.env.GRAFT_SQLITE_BINDING : undefined;
  return new Database(file, { ...options, ...(nativeBinding ? { nativeBinding } : {}) });
}

/**
 * A read-only connection. SQLite reads a WAL-mode file through its shared-memory index
 * beside it, which it cannot create in a folder it may not write; there (this build of
 * SQLite takes no `immutable` URIs) the file is read into memory instead, as a snapshot.
 */
function openForReading(abs: string): Db {
  const db = connect(abs, { readonly: true, fileMustExist: true });
  try {
    // SQLite opens the WAL index lazily: the first read is what fails in such a folder.
    db.pragma('user_version');
    keepJournalWritable(abs);
    return db;
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code ?? '';
    // Only where the folder itself is read-only: elsewhere the latest transactions may sit
    // in the journal, which a copy of the file alone would miss.
    if (!/^SQLITE_(CANTOPEN|READONLY)/.test(code) || canWrite(path.dirname(abs))) throw err;
  }
  const bytes = fs.readFileSync(abs);
  // Bytes 18 and 19 of the header name the journal mode; a snapshot in memory has no WAL.
  if (bytes.length >= 20 && bytes[18] === 2) bytes[18] = bytes[19] = 1;
  return connect(bytes, { readonly: true, fileMustExist: true });
}

/**
 * SQLite gives the journal files it creates beside a project the project file's mode: a
 * read-only file gets a read-only `-shm`, which would still refuse writes after the owner
 * makes the project writable again. The owner keeps the right to write them.
 */
function keepJournalWritable(abs: string): void {
  for (const journal of [`${abs}-wal`, `${abs}-shm`]) {
    try {
      const { mode, uid } = fs.statSync(journal);
      if (uid === process.getuid?.() && !(mode & 0o200)) fs.chmodSync(journal, (mode & 0o777) | 0o200);
    } catch {
      // Not there, or not ours: nothing to keep.
    }
  }
}

/** A project older than this Graft needs migrating, which a read-only file cannot be. */
function refuseOutdatedSchema(db: Db, abs: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations[migrations.length - 1].version;
  if (version > newest) {
    throw new GraftError('io', `This project was made by a newer Graft (schema ${version}; this Graft knows up to ${newest}). Update Graft to open it.`);
  }
  if (version < newest) {
    throw new GraftError('read_only', `${abs} was made by an older Graft and needs upgrading, but ${readOnlyReason(abs) ?? 'it is open read-only'}. Make it writable (or copy it to a folder you can write) and open it once.`);
  }
}

/**
 * Runs `read` on a read-only connection of its own to an existing project, closed after.
 * Worker threads read codes, runs and images this way, beside the engine's own connection
 * (WAL lets readers and the writer work at once), so large reads never hold the main thread.
 */
export function withReadOnlyProject<T>(file: string, read: (db: Db) => T): T {
  const db = openProject(file, { create: false, readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
