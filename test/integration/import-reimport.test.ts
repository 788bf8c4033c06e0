import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findClassByName } from '../../main/engine/catalogue/classes';
import { countImages, getImage, listImageIds, listImages } from '../../main/engine/catalogue/images';
import { setLabels } from '../../main/engine/catalogue/labels';
import type { Db } from '../../main/engine/catalogue/open';
import { openProject } from '../../main/engine/catalogue/open';
import { getStatus } from '../../main/engine/catalogue/status';
import { importFolder } from '../../main/engine/importer';
import * as fx from '../helpers/image-fixtures';
import { flowersMiniDir, tempDir } from '../helpers/paths';

/**
 * The life of an imported folder: re-imports that change nothing, new files,
 * duplicates, a label conflict, files that disappear and come back, a file whose
 * content changes, and a person settling the conflict. Runs on a copy of the
 * 100-photo flowers-mini set.
 */
describe('importing a folder again and again', () => {
  const tmp = tempDir('graft-import-reimport-');
  const folder = path.join(tmp.dir, 'flowers');
  const at = (...parts: string[]) => path.join(folder, ...parts);
  const firstOf = (cls: string) => fs.readdirSync(at(cls)).filter((f) => f.endsWith('.jpg')).sort()[0];
  let db: Db;
  const classId = (name: string) => findClassByName(db, name)!.id;
  const imageAt = (file: string) => listImages(db, { search: path.basename(file) }).images.find((i) => i.paths.includes(file))!;

  before(() => {
    fs.cpSync(flowersMiniDir, folder, { recursive: true });
    db = openProject(path.join(tmp.dir, 'mini.graft'));
  });
  after(() => {
    db?.close();
    tmp.cleanup();
  });

  it('imports the 100 photos into five classes', async () => {
    const s = await importFolder(db, folder);
    assert.deepEqual(
      [s.files, s.added, s.newImages, s.unchanged, s.missing, s.skipped.length, s.duplicates.length, s.conflicts.length],
      [100, 100, 100, 0, 0, 0, 0, 0],
    );
    assert.deepEqual(s.classes, { daisy: 20, dandelion: 20, roses: 20, sunflowers: 20, tulips: 20 });
    assert.equal(s.unlabelled, 0);
    assert.ok(s.seconds > 0);
  });

  it('finds nothing to do the second time', async () => {
    const s = await importFolder(db, folder);
    assert.deepEqual([s.files, s.added, s.newImages, s.unchanged, s.missing], [100, 0, 0, 100, 0]);
  });

  it('adds new files: a duplicate, a label conflict, an unlabelled image and a new class', async () => {
    const daisy = firstOf('daisy');
    const rose = firstOf('roses');
    fs.copyFileSync(at('daisy', daisy), at('daisy', 'copy-of-a-daisy.jpg'));
    fs.copyFileSync(at('roses', rose), at('tulips', 'a-rose-among-tulips.jpg'));
    fs.writeFileSync(at('loose.jpg'), await fx.jpeg(64, 64));
    fs.mkdirSync(at('lilies'));
    fs.writeFileSync(at('lilies', 'lily.png'), await fx.png16(50, 40));

    const s = await importFolder(db, folder);
    assert.deepEqual([s.files, s.added, s.newImages, s.unchanged], [104, 4, 2, 100]);
    assert.deepEqual(s.duplicates, [{ path: at('daisy', 'copy-of-a-daisy.jpg'), sameAs: at('daisy', daisy) }]);
    assert.equal(s.conflicts.length, 1);
    assert.deepEqual(s.conflicts[0].paths, [at('roses', rose), at('tulips', 'a-rose-among-tulips.jpg')]);
    assert.deepEqual(s.conflicts[0].labels, ['roses', 'tulips']);
    assert.match(s.conflicts[0].hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(s.classes, { daisy: 20, dandelion: 20, roses: 20, sunflowers: 20, tulips: 20, lilies: 1 });
    assert.equal(s.unlabelled, 1);

    // The conflict is kept visible and the label is not silently changed.
    const conflicted = imageAt(at('roses', rose));
    assert.equal(conflicted.conflict, true);
    assert.equal(conflicted.classId, classId('roses'));
    assert.deepEqual(conflicted.conflictLabels, ['roses', 'tulips']);
    assert.equal(conflicted.duplicate, true);
    assert.deepEqual(getStatus(db), {
      path: db.name,
      images: 102,
      classes: { daisy: 20, dandelion: 20, roses: 20, sunflowers: 20, tulips: 20, lilies: 1 },
      unlabelled: 1,
      conflicts: 1,
      missing: 0,
    });
  });

  it('reports disappeared files as missing, keeping their images and labels', async () => {
    const gone = firstOf('dandelion');
    const goneCopy = 'copy-of-a-daisy.jpg'; // its twin is still there
    const goneBytes = fs.readFileSync(at('dandelion', gone));
    fs.rmSync(at('dandelion', gone));
    fs.rmSync(at('daisy', goneCopy));

    const s = await importFolder(db, folder);
    assert.deepEqual([s.files, s.added, s.unchanged, s.missing], [102, 0, 102, 2]);
    assert.deepEqual(s.duplicates, []);
    const image = getImage(db, listImages(db, { search: gone }).images[0].id);
    assert.equal(image.missing, true);
    assert.equal(image.classId, classId('dandelion'));
    assert.equal(getStatus(db).missing, 1, 'one image has no file left; the duplicate still has one');
    assert.equal(getStatus(db).images, 102);
    assert.deepEqual(listImages(db, { missing: true }).images.map((i) => i.id), [image.id]);

    // Back again (a fresh copy, so a new modification time): found, nothing added.
    fs.writeFileSync(at('dandelion', gone), goneBytes);
    const back = await importFolder(db, folder);
    assert.deepEqual([back.added, back.unchanged, back.missing], [0, 103, 1]);
    assert.equal(getImage(db, image.id).missing, false);
    assert.equal(getStatus(db).missing, 0);
  });

  it('treats a file whose content changed as a new image that keeps its label', async () => {
    const file = at('sunflowers', firstOf('sunflowers'));
    const before = imageAt(file);
    fs.writeFileSync(file, await fx.jpeg(90, 60));
    const s = await importFolder(db, folder);
    assert.deepEqual([s.added, s.newImages], [1, 1]);
    const after = imageAt(file);
    assert.notEqual(after.id, before.id);
    assert.equal(after.classId, classId('sunflowers'));
    assert.equal(after.width, 90);
    assert.equal(countImages(db, { ids: [before.id] }), 0, 'the old bytes exist nowhere any more');
    assert.equal(getStatus(db).images, 102);
  });

  it('leaves a settled conflict settled on the next import', async () => {
    const rose = at('roses', firstOf('roses'));
    const id = imageAt(rose).id;
    setLabels(db, [id], classId('tulips'));
    const s = await importFolder(db, folder);
    assert.deepEqual(s.conflicts, []);
    assert.equal(getImage(db, id).conflict, false);
    assert.equal(getImage(db, id).classId, classId('tulips'));
    // Still the same bytes twice: now a plain duplicate.
    assert.deepEqual(s.duplicates.map((d) => d.path), [at('tulips', 'a-rose-among-tulips.jpg')]);
  });

  it('filters, sorts and pages the image list', () => {
    const total = countImages(db);
    assert.equal(total, 102);
    const daisies = listImages(db, { classId: classId('daisy') }, { limit: 500 });
    assert.equal(daisies.total, 20);
    assert.ok(daisies.images.every((i) => i.classId === classId('daisy') && i.path.includes(`${path.sep}daisy${path.sep}`)));
    assert.deepEqual(listImages(db, { classId: 'unlabelled' }).images.map((i) => path.basename(i.path)), ['loose.jpg']);
    assert.equal(countImages(db, { duplicates: true }), 1);
    assert.equal(countImages(db, { duplicates: false }), 101);
    assert.equal(countImages(db, { conflicts: true }), 0);
    assert.equal(countImages(db, { search: 'LILY' }), 1, 'search ignores case');
    assert.equal(countImages(db, { search: '100%_' }), 0, 'LIKE wildcards in a search are literal');
    assert.equal(countImages(db, { classId: classId('roses'), search: 'tulips' }), 0);

    const byName = listImages(db, {}, { sort: 'name', limit: 500 }).images.map((i) => path.basename(i.path).toLowerCase());
    assert.deepEqual(byName, [...byName].sort());
    const bySize = listImages(db, {}, { sort: 'size', descending: true, limit: 500 }).images.map((i) => i.bytes);
    assert.deepEqual(bySize, [...bySize].sort((a, b) => b - a));
    const byClass = listImages(db, {}, { sort: 'class', limit: 500 }).images;
    const positions = byClass.map((i) => (i.classId === null ? Infinity : findClassPosition(i.classId)));
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    assert.equal(byClass[byClass.length - 1].classId, null, 'unlabelled last');

    // Pages of the imported order put together are the whole list, in the order of ids().
    const ids = listImageIds(db);
    const paged = [0, 40, 80].flatMap((offset) => listImages(db, {}, { offset, limit: 40 }).images.map((i) => i.id));
    assert.deepEqual(paged, ids);
    assert.deepEqual(listImages(db, { ids: [ids[5], ids[2]] }).images.map((i) => i.id), [ids[2], ids[5]]);
    assert.deepEqual(listImageIds(db, {}, 'imported', true), [...ids].reverse());

    // A ranked list keeps its own order, pages included, narrowed by the other filters.
    const ranked = [ids[7], ids[3], ids[90], ids[3], ids[0]];
    assert.deepEqual(listImageIds(db, { ids: ranked }, 'list'), [ids[7], ids[3], ids[90], ids[0]], 'first place of a repeated id');
    assert.deepEqual(listImageIds(db, { ids: ranked }, 'list', true), [ids[0], ids[90], ids[3], ids[7]]);
    assert.deepEqual(listImages(db, { ids: ranked }, { sort: 'list', offset: 1, limit: 2 }).images.map((i) => i.id), [ids[3], ids[90]]);
    const daisy = classId('daisy');
    const rankedDaisies = listImageIds(db, { ids: [...ranked].reverse(), classId: daisy }, 'list');
    assert.deepEqual(rankedDaisies, [ids[0], ids[90], ids[3], ids[7]].filter((id) => listImageIds(db, { classId: daisy }).includes(id)));
    assert.deepEqual(listImageIds(db, {}, 'list'), ids, 'without ids, list order is import order');
  });

  function findClassPosition(id: number): number {
    return (db.prepare(`SELECT position FROM classes WHERE id = ?`).get(id) as { position: number }).position;
  }
});

describe('importing a class folder on its own, then its parent', () => {
  const tmp = tempDir('graft-import-parent-');
  after(tmp.cleanup);

  it('labels the images from the parent import, without re-adding them', async () => {
    const cats = path.join(tmp.dir, 'pets', 'cats');
    fs.mkdirSync(cats, { recursive: true });
    fs.writeFileSync(path.join(cats, 'a.jpg'), await fx.jpeg(30, 20));
    fs.writeFileSync(path.join(cats, 'b.jpg'), await fx.jpeg(20, 30));
    const db = openProject(path.join(tmp.dir, 'pets.graft'));
    try {
      const alone = await importFolder(db, cats);
      assert.deepEqual([alone.added, alone.unlabelled], [2, 2], 'files directly in the imported folder are unlabelled');
      const changes: number[] = [];
      const parent = await importFolder(db, path.join(tmp.dir, 'pets'), { onBatch: () => changes.push(1) });
      assert.deepEqual([parent.added, parent.unchanged, parent.unlabelled], [0, 2, 0]);
      assert.deepEqual(parent.classes, { cats: 2 });
      assert.ok(changes.length > 0, 'the relabelling is announced');
      // Importing the class folder alone again does not take the labels away.
      const again = await importFolder(db, cats);
      assert.deepEqual([again.unchanged, again.unlabelled], [2, 0]);
    } finally {
      db.close();
    }
  });
});
