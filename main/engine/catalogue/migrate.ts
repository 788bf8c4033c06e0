import type Database from 'better-sqlite3';
import type { Migration } from './migrations/types';
import { migrations as allMigrations } from './migrations';

/**
 * Brings a database to the newest schema. Each migration runs in its own
 * transaction together with the `user_version` bump, so a crash leaves the
 * database at a whole version.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = allMigrations): number {
  let version = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (version > newest) {
    throw new Error(
      `This project was made by a newer Graft (schema ${version}; this Graft knows up to ${newest}). Update Graft to open it.`,
    );
  }
  for (const m of migrations) {
    if (m.version <= version) continue;
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    version = m.version;
  }
  return version;
}
