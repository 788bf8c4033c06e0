import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { migrate } from '../../main/engine/catalogue/migrate';
import { codeCounts, countCodes, deleteCodes, listMissing, readCodeMatrix, readCodes, writeCodes } from '../../main/engine/catalogue/codes';

function fixture() {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db);
  const img = db.prepare(`INSERT INTO images (hash, bytes, width, height, format, thumbnail, imported_at) VALUES (?, 1, 1, 1, 'png', x'', 0)`);
  const file = db.prepare(`INSERT INTO files (path, image_id, size, mtime_ms, missing, imported_at) VALUES (?, ?, 1, 0, ?, 0)`);
  for (let i = 1; i <= 4; i++) {
    img.run(`h${i}`);
    file.run(`/p/${i}.jpg`, i, i === 4 ? 1 : 0); // image 4's only file is missing
  }
  return db;
}

describe('codes store', () => {
  it('round-trips float32 vectors per (image, backbone, view)', () => {
    const db = fixture();
    const a = new Float32Array([1.5, -2.25, 3e-8]);
    writeCodes(db, [
      { imageId: 1, backbone: 'b', view: 'center', data: a },
      { imageId: 2, backbone: 'b', view: 'center', data: new Float32Array([4, 5, 6]) },
      { imageId: 1, backbone: 'b', view: 'flip', data: new Float32Array([7, 8, 9]) },
    ]);
    assert.deepEqual(Array.from(readCodes(db, 'b').get(1)!), Array.from(a));
    assert.deepEqual(Array.from(readCodes(db, 'b', 'flip').get(1)!), [7, 8, 9]);
    assert.equal(readCodes(db, 'b', 'center', [2, 3]).size, 1);
    assert.equal(countCodes(db), 3);
    assert.equal(countCodes(db, 'b', 'center'), 2);
    assert.deepEqual(codeCounts(db).map((c) => [c.view, c.count, c.dim]), [['center', 2, 3], ['flip', 1, 3]]);

    const m = readCodeMatrix(db, 'b', 'center', [2, 3, 1]);
    assert.deepEqual(m.ids, [2, 1]);
    assert.deepEqual(m.missing, [3]);
    assert.equal(m.dim, 3);
    assert.deepEqual(Array.from(m.data), [4, 5, 6, ...Array.from(a)]);
    assert.equal(deleteCodes(db, 'b'), 3);
  });

  it('lists only the missing codes of images with a present file, and treats a damaged row as missing', () => {
    const db = fixture();
    writeCodes(db, [{ imageId: 1, backbone: 'b', view: 'center', data: new Float32Array([1, 2]) }]);
    // A row whose blob does not match its dimension (e.g. a torn write on an old disk).
    db.prepare(`INSERT INTO codes (image_id, backbone, view, dim, data) VALUES (2, 'b', 'center', 2, x'0000')`).run();
    const { todo, cached } = listMissing(db, 'b', ['center', 'flip']);
    assert.equal(cached, 1);
    assert.deepEqual(todo.map((t) => [t.imageId, t.views]), [[1, ['flip']], [2, ['center', 'flip']], [3, ['center', 'flip']]]);
    assert.deepEqual(todo[2].paths, ['/p/3.jpg']);
    assert.equal(readCodes(db, 'b').has(2), false);
  });
});
