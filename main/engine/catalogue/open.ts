import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { GraftError } from '../errors';
import { migrate } from './migrate';

export type Db = Database.Database;

export interface OpenOptions {
  /** Create the file if it does not exist (default true). */
  create?: boolean;
  readonly?: boolean;
}

/**
 * Opens (or creates) a project file: one SQLite database in WAL mode with foreign
 * keys on, migrated to the newest schema.
 */
export function openProject(file: string, options: OpenOptions = {}): Db {
  const create = options.create ?? true;
  const abs = path.resolve(file);
  const exists = fs.existsSync(abs);
  if (!exists && !create) {
    throw new GraftError('not_found', `No project at ${abs}. Create one with "graft import <folder> --project ${file}".`);
  }
  if (!exists) fs.mkdirSync(path.dirname(abs), { recursive: true });
  let db: Db;
  try {
    // Inside Electron run from a checkout, SQLite must be the copy built for Electron's
    // ABI (see main/hosts/electron/native-modules.ts); everywhere else the default build is right.
    const nativeBinding = process.versions.electron ? process.env.GRAFT_SQLITE_BINDING : undefined;
    db = new Database(abs, { readonly: options.readonly ?? false, fileMustExist: !create, ...(nativeBinding ? { nativeBinding } : {}) });
  } catch (err) {
    throw new GraftError('io', `Cannot open the project ${abs}: ${(err as Error).message}`);
  }
  try {
    // A read-only connection cannot change the journal mode; the file keeps the WAL mode
    // its writer set, and reads see committed transactions as they land.
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // NORMAL is durable across application crashes in WAL mode; only a power cut can
    // lose the last transactions, never corrupt the file.
    if (!options.readonly) db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) migrate(db);
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
