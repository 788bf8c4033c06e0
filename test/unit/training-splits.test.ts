import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import path from 'node:path';
import { ensureClass } from '../../main/engine/catalogue/classes';
import { openProject, type Db } from '../../main/engine/catalogue/open';
import { assignSplits, labelledImages } from '../../main/engine/catalogue/splits';
import { tempDir } from '../helpers/paths';

const tmp = tempDir('graft-splits-');
after(() => tmp.cleanup());

let db: Db;
let n = 0;
function addImage(className: string | null, conflict = 0): number {
  const classId = className ? ensureClass(db, className) : null;
  n++;
  const id = Number(
    db
      .prepare(`INSERT INTO images (hash, bytes, width, height, format, thumbnail, class_id, conflict, imported_at) VALUES (?, 1, 1, 1, 'jpeg', x'', ?, ?, 0)`)
      .run(`hash-${n.toString().padStart(6, '0')}`, classId, conflict).lastInsertRowid,
  );
  db.prepare(`INSERT INTO files (path, image_id, size, mtime_ms, imported_at) VALUES (?, ?, 1, 0, 0)`).run(`/photos/${className}/${n}.jpg`, id);
  return id;
}
const splitOf = (id: number) => (db.prepare('SELECT split FROM splits WHERE image_id = ?').get(id) as { split: string } | undefined)?.split;

describe('splits', () => {
  beforeEach(() => {
    db = openProject(path.join(tmp.dir, `p${Date.now()}-${Math.random()}.graft`));
  });

  it('deals each class 80/10/10 and leaves conflicts and unlabelled images out', () => {
    for (let i = 0; i < 50; i++) addImage('cats');
    for (let i = 0; i < 20; i++) addImage('dogs');
    const conflicted = addImage('dogs', 1);
    const unlabelled = addImage(null);
    const report = assignSplits(db, { seed: 1 });
    assert.deepEqual(report.counts, { train: 56, validation: 7, test: 7 });
    assert.equal(report.assigned, 70);
    assert.equal(report.conflicts, 1);
    assert.equal(report.unlabelled, 1);
    assert.equal(splitOf(conflicted), undefined);
    assert.equal(splitOf(unlabelled), undefined);
    const perClass = (c: string, s: string) => labelledImages(db).filter((i) => i.className === c && i.split === s).length;
    assert.deepEqual([perClass('cats', 'train'), perClass('cats', 'validation'), perClass('cats', 'test')], [40, 5, 5]);
    assert.deepEqual([perClass('dogs', 'train'), perClass('dogs', 'validation'), perClass('dogs', 'test')], [16, 2, 2]);
  });

  it('is seeded: same seed, same deal; another seed, another deal', () => {
    const ids = Array.from({ length: 60 }, () => addImage('cats'));
    assignSplits(db, { seed: 7 });
    const first = ids.map(splitOf);
    db.prepare('DELETE FROM splits').run();
    assignSplits(db, { seed: 7 });
    assert.deepEqual(ids.map(splitOf), first);
    db.prepare('DELETE FROM splits').run();
    assignSplits(db, { seed: 8 });
    assert.notDeepEqual(ids.map(splitOf), first);
  });

  it('is sticky across retraining, deals new images towards the targets, and reshuffles on request', () => {
    const ids = Array.from({ length: 40 }, () => addImage('cats'));
    assignSplits(db, { seed: 3 });
    const before = ids.map(splitOf);
    // A different seed must not move already dealt images.
    const again = assignSplits(db, { seed: 99 });
    assert.equal(again.assigned, 0);
    assert.deepEqual(ids.map(splitOf), before);
    const fresh = Array.from({ length: 10 }, () => addImage('cats'));
    const report = assignSplits(db, { seed: 3 });
    assert.equal(report.assigned, 10);
    assert.deepEqual(ids.map(splitOf), before);
    assert.deepEqual(report.counts, { train: 40, validation: 5, test: 5 });
    assert.ok(fresh.every((id) => splitOf(id)));
    const reshuffled = assignSplits(db, { seed: 4, reshuffle: true });
    assert.equal(reshuffled.assigned, 50);
    assert.notDeepEqual(ids.map(splitOf), before);
  });

  it('keeps a tiny class for training, and gives a ten-image class one validation and one test image', () => {
    const rare = Array.from({ length: 3 }, () => addImage('rare'));
    const ten = Array.from({ length: 10 }, () => addImage('ten'));
    assignSplits(db, { seed: 1 });
    assert.deepEqual(rare.map(splitOf), ['train', 'train', 'train']);
    const dealt = ten.map(splitOf);
    assert.deepEqual([dealt.filter((s) => s === 'train').length, dealt.filter((s) => s === 'validation').length, dealt.filter((s) => s === 'test').length], [8, 1, 1]);
  });

  it('rejects fractions with nothing to train on', () => {
    addImage('cats');
    assert.throws(() => assignSplits(db, { seed: 1, fractions: { train: 0, validation: 1, test: 1 } }), /training/);
  });
});
