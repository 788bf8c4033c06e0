import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { migrate } from '../../main/engine/catalogue/migrate';
import { migrations } from '../../main/engine/catalogue/migrations';

/** Each migration is applied on its own to an in-memory database and checked. */
describe('catalogue migrations', () => {
  it('numbers migrations 1, 2, 3… with no gaps', () => {
    migrations.forEach((m, i) => assert.equal(m.version, i + 1, `migration ${m.name}`));
  });

  it('001 initial creates the catalogue tables and enforces foreign keys', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    assert.equal(migrate(db, migrations.slice(0, 1)), 1);
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .all()
      .map((r) => (r as { name: string }).name);
    for (const t of ['classes', 'codes', 'files', 'images', 'label_history', 'meta', 'operations', 'runs', 'splits']) {
      assert.ok(tables.includes(t), `table ${t}`);
    }
    // A label pointing at a class that does not exist is refused.
    assert.throws(() =>
      db.prepare(`INSERT INTO images (hash, bytes, width, height, format, thumbnail, class_id, imported_at) VALUES ('h', 1, 1, 1, 'png', x'00', 99, 0)`).run(),
    );
    // Two live classes cannot share a name (case-insensitive), but a deleted one can.
    db.prepare(`INSERT INTO classes (name, color, position, created_at) VALUES ('Roses', '#ff0000', 0, 0)`).run();
    assert.throws(() => db.prepare(`INSERT INTO classes (name, color, position, created_at) VALUES ('roses', '#ff0000', 1, 0)`).run());
    db.prepare(`UPDATE classes SET deleted_at = 1 WHERE name = 'Roses'`).run();
    db.prepare(`INSERT INTO classes (name, color, position, created_at) VALUES ('roses', '#ff0000', 1, 0)`).run();
    db.close();
  });

  it('002 library-order-index lets the grid order and page images without reading thumbnails', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations.slice(0, 1));
    // A project made before the index: its rows must survive the migration.
    const insert = db.prepare(
      `INSERT INTO images (hash, bytes, width, height, format, thumbnail, imported_at) VALUES (?, ?, 1, 1, 'jpeg', ?, ?)`,
    );
    for (let i = 0; i < 5; i++) insert.run(`h${i}`, 100 + i, Buffer.alloc(16_384, i), 1000 - i);
    assert.equal(migrate(db, migrations.slice(0, 2)), 2);
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
    assert.match(plan(`SELECT i.id FROM images i ORDER BY i.imported_at, i.id`), /COVERING INDEX images_library_order/);
    assert.match(
      plan(`SELECT i.id, i.class_id, i.conflict FROM images i ORDER BY i.imported_at, i.id LIMIT 150 OFFSET 0`),
      /COVERING INDEX images_library_order/,
    );
    assert.deepEqual(db.prepare(`SELECT id FROM images ORDER BY imported_at, id`).pluck().all(), [5, 4, 3, 2, 1]);
    db.close();
  });

  it('is idempotent and refuses a project from a newer Graft', () => {
    const db = new Database(':memory:');
    const v = migrate(db);
    assert.equal(migrate(db), v);
    db.pragma(`user_version = ${v + 1}`);
    assert.throws(() => migrate(db), /newer Graft/);
    db.close();
  });
});
