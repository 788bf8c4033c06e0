import assert from 'node:assert/strict';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { CLASS_COLORS } from '../../shared/class-names';
import {
  createClass,
  deleteClass,
  ensureClass,
  findClassByName,
  getClass,
  listClasses,
  mergeClasses,
  recolorClass,
  renameClass,
  reorderClasses,
  unlabelledCount,
} from '../../main/engine/catalogue/classes';
import { redo, setLabels, undo, undoState } from '../../main/engine/catalogue/labels';
import type { Db } from '../../main/engine/catalogue/open';
import { openProject } from '../../main/engine/catalogue/open';
import { UNDO_LIMIT } from '../../main/engine/catalogue/operations';
import { GraftError } from '../../main/engine/errors';
import { counts, insertImages, snapshot } from '../helpers/label-fixtures';
import { tempDir } from '../helpers/paths';

/** Class management, labelling and undo/redo, on real SQLite project files. */

const tmp = tempDir('graft-labels-');
after(tmp.cleanup);

let db: Db;
let file: string;
let n = 0;
/** Ids of the images, in fixture order: roses 0-2, tulips 3-4, daisy 5, unlabelled 6, conflicted rose 7. */
let img: number[];

beforeEach(() => {
  db?.close();
  file = path.join(tmp.dir, `p${n++}.graft`);
  db = openProject(file);
  img = insertImages(db, path.join(tmp.dir, 'photos'), [
    { cls: 'roses' },
    { cls: 'roses' },
    { cls: 'roses' },
    { cls: 'tulips' },
    { cls: 'tulips' },
    { cls: 'daisy' },
    { cls: null },
    { cls: 'roses', conflict: true },
  ]).ids;
});
after(() => db?.close());

function id(name: string): number {
  const c = findClassByName(db, name);
  assert.ok(c, `class ${name} exists`);
  return c.id;
}

function rejects(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GraftError, `a GraftError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

function classIdOf(imageId: number): number | null {
  return (db.prepare(`SELECT class_id FROM images WHERE id = ?`).get(imageId) as { class_id: number | null }).class_id;
}
function conflictOf(imageId: number): number {
  return (db.prepare(`SELECT conflict FROM images WHERE id = ?`).get(imageId) as { conflict: number }).conflict;
}
function operations(): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM operations`).get() as { n: number }).n;
}

describe('classes', () => {
  it('lists live classes in order with counts, and counts unlabelled images', () => {
    assert.deepEqual(
      listClasses(db).map((c) => [c.name, c.position, c.count]),
      [['roses', 0, 4], ['tulips', 1, 2], ['daisy', 2, 1]],
    );
    assert.equal(unlabelledCount(db), 1);
    // The importer's ensureClass hands out distinct palette colours and reuses a live class by name.
    assert.deepEqual(listClasses(db).map((c) => c.color), CLASS_COLORS.slice(0, 3));
    assert.equal(ensureClass(db, 'ROSES'), id('roses'));
  });

  it('creates a class at the end with the first free palette colour, refuses a taken name, and undoes', () => {
    const before = snapshot(db);
    const sun = createClass(db, '  sunflowers ');
    assert.deepEqual({ ...sun, id: 0 }, { id: 0, name: 'sunflowers', color: CLASS_COLORS[3], position: 3, count: 0 });
    assert.equal(createClass(db, 'Ferns', '#00AA00').color, '#00aa00');
    rejects(() => createClass(db, 'Sunflowers'), 'conflict', /already a class named "sunflowers"/);
    rejects(() => createClass(db, '   '), 'invalid_params', /needs a name/);
    rejects(() => createClass(db, 'x', 'green'), 'invalid_params', /#rrggbb/);
    assert.equal(operations(), 2, 'refused changes record nothing');

    assert.match(undo(db).description ?? '', /^Undid: create class "Ferns"$/);
    assert.match(undo(db).description ?? '', /^Undid: create class "sunflowers"$/);
    assert.deepEqual(snapshot(db), before);
    rejects(() => getClass(db, sun.id), 'not_found', /no class with id/);
    const again = redo(db);
    assert.equal(again.description, 'Redid: create class "sunflowers"');
    assert.deepEqual(getClass(db, sun.id), sun, 'redo brings back the same class, id and colour included');
  });

  it('renames, refuses a name another class has, allows a change of case, and undoes', () => {
    const roses = id('roses');
    rejects(() => renameClass(db, roses, 'TULIPS'), 'conflict', /merge "roses" into "tulips" instead/);
    rejects(() => renameClass(db, 9999, 'x'), 'not_found', /no class with id 9999/);
    assert.equal(operations(), 0);
    assert.equal(renameClass(db, roses, 'Roses').name, 'Roses');
    assert.equal(renameClass(db, roses, 'Rose').name, 'Rose');
    const unchanged = renameClass(db, roses, 'Rose');
    assert.equal(unchanged.name, 'Rose');
    assert.equal(operations(), 2, 'renaming to the same name is not a step');
    assert.equal(undo(db).description, 'Undid: rename class "Roses" to "Rose"');
    assert.equal(getClass(db, roses).name, 'Roses');
    undo(db);
    assert.equal(getClass(db, roses).name, 'roses');
    redo(db);
    redo(db);
    assert.equal(getClass(db, roses).name, 'Rose');
    assert.equal(getClass(db, roses).count, 4, 'images keep their class through renames');
  });

  it('recolours and undoes', () => {
    const tulips = id('tulips');
    const old = getClass(db, tulips).color;
    assert.equal(recolorClass(db, tulips, '#123ABC').color, '#123abc');
    undo(db);
    assert.equal(getClass(db, tulips).color, old);
    redo(db);
    assert.equal(getClass(db, tulips).color, '#123abc');
  });

  it('reorders (a partial list keeps the rest in order), refuses duplicates and unknown ids, and undoes', () => {
    const [roses, tulips, daisy] = ['roses', 'tulips', 'daisy'].map(id);
    const ferns = createClass(db, 'ferns').id;
    assert.deepEqual(reorderClasses(db, [daisy, roses, ferns, tulips]).map((c) => c.name), ['daisy', 'roses', 'ferns', 'tulips']);
    assert.deepEqual(reorderClasses(db, [tulips]).map((c) => [c.name, c.position]), [
      ['tulips', 0],
      ['daisy', 1],
      ['roses', 2],
      ['ferns', 3],
    ]);
    rejects(() => reorderClasses(db, [roses, roses]), 'invalid_params', /appears twice/);
    rejects(() => reorderClasses(db, [roses, 4242]), 'not_found', /4242/);
    const ops = operations();
    reorderClasses(db, [tulips, daisy]);
    assert.equal(operations(), ops, 'an order that changes nothing is not a step');
    undo(db);
    assert.deepEqual(listClasses(db).map((c) => c.name), ['daisy', 'roses', 'ferns', 'tulips']);
    undo(db);
    assert.deepEqual(listClasses(db).map((c) => c.name), ['roses', 'tulips', 'daisy', 'ferns']);
    redo(db);
    assert.deepEqual(listClasses(db).map((c) => c.name), ['daisy', 'roses', 'ferns', 'tulips']);
  });

  it('merges A into B; undo brings A back with its own images, position and colour; redo merges again', () => {
    const before = snapshot(db);
    const [roses, tulips, daisy] = ['roses', 'tulips', 'daisy'].map(id);
    rejects(() => mergeClasses(db, roses, roses), 'invalid_params', /into itself/);
    rejects(() => mergeClasses(db, roses, 777), 'not_found', /777/);

    const result = mergeClasses(db, tulips, roses);
    assert.equal(result.changed, 2);
    assert.ok(result.operationId);
    assert.deepEqual(counts(db), { roses: 6, daisy: 1 });
    assert.deepEqual(listClasses(db).map((c) => c.position), [0, 1], 'positions stay contiguous');
    assert.equal(conflictOf(img[7]), 1, 'a merge is not a person settling a conflict');
    assert.equal(getClass(db, daisy).position, 1);

    const back = undo(db);
    assert.equal(back.description, 'Undid: merge "tulips" into "roses" (2 images)');
    assert.equal(back.changed, 2);
    assert.deepEqual(snapshot(db), before);
    assert.deepEqual(counts(db), { roses: 4, tulips: 2, daisy: 1 });

    assert.equal(redo(db).changed, 2);
    assert.deepEqual(counts(db), { roses: 6, daisy: 1 });
  });

  it('deletes a class: its images become unlabelled, nothing else is lost, and undo restores both', () => {
    const before = snapshot(db);
    const roses = id('roses');
    const result = deleteClass(db, roses);
    assert.equal(result.changed, 4);
    assert.deepEqual(counts(db), { tulips: 2, daisy: 1 });
    assert.deepEqual(listClasses(db).map((c) => c.position), [0, 1]);
    assert.equal(unlabelledCount(db), 5);
    assert.equal(conflictOf(img[7]), 1, 'the conflict is still there to settle');
    assert.equal((db.prepare(`SELECT COUNT(*) AS n FROM images`).get() as { n: number }).n, 8, 'no image is lost');
    rejects(() => deleteClass(db, roses), 'not_found', /no class with id/);
    rejects(() => setLabels(db, [img[0]], roses), 'not_found', /no class with id/);

    assert.equal(undo(db).description, 'Undid: delete class "roses" (4 images become unlabelled)');
    assert.deepEqual(snapshot(db), before);
    redo(db);
    assert.deepEqual(counts(db), { tulips: 2, daisy: 1 });
    undo(db);
    assert.deepEqual(snapshot(db), before);
  });

  it('deletes an empty class and merges an empty class as steps of their own', () => {
    const empty = createClass(db, 'empty').id;
    assert.deepEqual(deleteClass(db, empty).changed, 0);
    undo(db);
    const merged = mergeClasses(db, empty, id('daisy'));
    assert.equal(merged.changed, 0);
    assert.ok(merged.operationId);
    assert.equal(undoState(db).undo, 'Merge "empty" into "daisy"');
  });
});

describe('labels', () => {
  it('labels many images as one step, skips those already labelled, and undoes them together', () => {
    const before = snapshot(db);
    const tulips = id('tulips');
    const result = setLabels(db, [img[0], img[1], img[3], img[6], img[6]], tulips);
    assert.equal(result.changed, 3, 'img[3] already was a tulip; the repeated id counts once');
    assert.deepEqual(counts(db), { roses: 2, tulips: 5, daisy: 1 });
    assert.equal(unlabelledCount(db), 0);
    assert.equal(undoState(db).undo, 'Label 3 images as "tulips"');

    const back = undo(db);
    assert.deepEqual(back, { description: 'Undid: label 3 images as "tulips"', changed: 3 });
    assert.deepEqual(snapshot(db), before);
    assert.deepEqual(redo(db), { description: 'Redid: label 3 images as "tulips"', changed: 3 });
    assert.deepEqual(counts(db), { roses: 2, tulips: 5, daisy: 1 });
  });

  it('removes labels with null', () => {
    const result = setLabels(db, [img[3], img[5]], null);
    assert.equal(result.changed, 2);
    assert.equal(classIdOf(img[3]), null);
    assert.equal(unlabelledCount(db), 3);
    assert.equal(undoState(db).undo, 'Remove the label from 2 images');
    undo(db);
    assert.equal(classIdOf(img[3]), id('tulips'));
  });

  it('records nothing when nothing changes, so redo stays possible', () => {
    setLabels(db, [img[0]], id('daisy'));
    undo(db);
    const ops = operations();
    assert.deepEqual(setLabels(db, [img[1], img[2]], id('roses')), { changed: 0, operationId: null });
    assert.equal(operations(), ops);
    assert.equal(undoState(db).redo, 'Label 1 image as "daisy"');
  });

  it('refuses unknown images and changes none of the others', () => {
    const before = snapshot(db);
    rejects(() => setLabels(db, [img[0], 5000, 5001], id('daisy')), 'not_found', /2 of the chosen images are not in the project \(id 5000, 5001\)/);
    assert.deepEqual(snapshot(db), before);
    assert.equal(operations(), 0);
  });

  it('settles a conflict when a person labels the image, even with the class it already has; undo brings the conflict back', () => {
    const roses = id('roses');
    assert.equal(classIdOf(img[7]), roses);
    assert.equal(conflictOf(img[7]), 1);
    const result = setLabels(db, [img[7]], roses);
    assert.equal(result.changed, 1);
    assert.equal(conflictOf(img[7]), 0);
    undo(db);
    assert.equal(conflictOf(img[7]), 1);
    redo(db);
    assert.equal(conflictOf(img[7]), 0);

    // Removing the label settles it too.
    undo(db);
    setLabels(db, [img[7], img[0]], null);
    assert.equal(conflictOf(img[7]), 0);
    undo(db);
    assert.deepEqual([classIdOf(img[7]), conflictOf(img[7])], [roses, 1]);
  });
});

describe('undo and redo', () => {
  it('walk a long chain back to the start and forward to the end, exactly', () => {
    const states = [snapshot(db)];
    const step = (fn: () => unknown) => {
      fn();
      states.push(snapshot(db));
    };
    step(() => createClass(db, 'ferns'));
    step(() => setLabels(db, [img[0], img[6]], id('ferns')));
    step(() => renameClass(db, id('tulips'), 'tulip'));
    step(() => mergeClasses(db, id('roses'), id('tulip')));
    step(() => setLabels(db, [img[7]], id('daisy')));
    step(() => reorderClasses(db, [id('daisy')]));
    step(() => recolorClass(db, id('daisy'), '#000000'));
    step(() => deleteClass(db, id('tulip')));
    step(() => setLabels(db, img, null));

    for (let i = states.length - 2; i >= 0; i--) {
      undo(db);
      assert.deepEqual(snapshot(db), states[i], `after undoing back to state ${i}`);
    }
    rejects(() => undo(db), 'not_found', /^Nothing to undo\.$/);
    for (let i = 1; i < states.length; i++) {
      redo(db);
      assert.deepEqual(snapshot(db), states[i], `after redoing to state ${i}`);
    }
    rejects(() => redo(db), 'not_found', /^Nothing to redo\.$/);
  });

  it('a new change after undo discards what could have been redone', () => {
    setLabels(db, [img[0]], id('daisy'));
    setLabels(db, [img[1]], id('daisy'));
    undo(db);
    undo(db);
    assert.equal(undoState(db).redo, 'Label 1 image as "daisy"');
    setLabels(db, [img[2]], id('tulips'));
    assert.deepEqual(undoState(db), { undo: 'Label 1 image as "tulips"', redo: null });
    rejects(() => redo(db), 'not_found', /Nothing to redo/);
    assert.equal((db.prepare(`SELECT COUNT(*) AS n FROM label_history`).get() as { n: number }).n, 1, 'the discarded steps leave no rows');
    undo(db);
    rejects(() => undo(db), 'not_found', /Nothing to undo/);
  });

  it('survive closing and reopening the project', () => {
    deleteClass(db, id('roses'));
    db.close();
    db = openProject(file);
    assert.equal(undo(db).changed, 4);
    assert.deepEqual(counts(db), { roses: 4, tulips: 2, daisy: 1 });
    db.close();
    db = openProject(file);
    assert.equal(redo(db).changed, 4);
    assert.equal(findClassByName(db, 'roses'), null);
  });

  it('undo of a delete brings the class back under a free name when an import reused its name meanwhile', () => {
    const oldRoses = id('roses');
    deleteClass(db, oldRoses);
    // An import (not undoable) brings a new "roses" folder.
    const newRoses = ensureClass(db, 'roses');
    insertImages(db, path.join(tmp.dir, 'more'), [{ cls: 'roses' }]);
    const back = undo(db);
    assert.equal(back.description, 'Undid: delete class "roses" (4 images become unlabelled) (another class is now called "roses", so this one is "roses (2)")');
    assert.equal(getClass(db, oldRoses).name, 'roses (2)');
    assert.equal(getClass(db, oldRoses).count, 4);
    assert.equal(getClass(db, newRoses).count, 1);
    assert.deepEqual(listClasses(db).map((c) => c.name), ['roses (2)', 'tulips', 'daisy', 'roses'], 'back at its old place');
  });

  it('undo of a create unlabels images an import put in the class since, and redo gives them back', () => {
    const ferns = createClass(db, 'ferns').id;
    const imported = insertImages(db, path.join(tmp.dir, 'more'), [{ cls: 'ferns' }, { cls: 'ferns' }]).ids;
    assert.equal(getClass(db, ferns).count, 2);
    const back = undo(db);
    assert.equal(back.changed, 2);
    assert.deepEqual(imported.map(classIdOf), [null, null], 'no image points at a class nobody can see');
    assert.equal(findClassByName(db, 'ferns'), null);
    assert.equal(redo(db).changed, 2);
    assert.deepEqual(imported.map(classIdOf), [ferns, ferns]);
  });

  it('redo of a delete also moves images an import added after the undo', () => {
    const daisy = id('daisy');
    deleteClass(db, daisy);
    undo(db);
    const imported = insertImages(db, path.join(tmp.dir, 'more'), [{ cls: 'daisy' }]).ids;
    assert.equal(redo(db).changed, 2);
    assert.equal(classIdOf(imported[0]), null);
    assert.equal(undo(db).changed, 2);
    assert.equal(classIdOf(imported[0]), daisy);
  });

  it('undo leaves alone an image relabelled outside the undo log since', () => {
    setLabels(db, [img[0], img[1]], id('daisy'));
    // Something not undoable (say a future "accept suggestion" batch in another process) moves one image.
    db.prepare(`UPDATE images SET class_id = ? WHERE id = ?`).run(id('tulips'), img[1]);
    assert.equal(undo(db).changed, 1);
    assert.equal(classIdOf(img[0]), id('roses'));
    assert.equal(classIdOf(img[1]), id('tulips'));
  });

  it(`keeps the newest ${UNDO_LIMIT} steps`, () => {
    const roses = id('roses');
    const daisy = id('daisy');
    for (let i = 0; i < UNDO_LIMIT + 5; i++) setLabels(db, [img[0]], i % 2 ? roses : daisy);
    assert.equal(operations(), UNDO_LIMIT);
    for (let i = 0; i < UNDO_LIMIT; i++) undo(db);
    rejects(() => undo(db), 'not_found', /Nothing to undo/);
    // The first five steps (0…4) were forgotten: the image stays where step 4 left it.
    assert.equal(classIdOf(img[0]), daisy);
  });
});
