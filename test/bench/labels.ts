/**
 * Relabelling at scale: one undoable step over 100,000 images (the most `labels.set`
 * accepts), its undo and redo, and deleting a class of 50,000 images and undoing that,
 * on a real project file. These are what "select all in view → press a class key"
 * and Ctrl+Z cost on a large project.
 */
import path from 'node:path';
import { deleteClass, findClassByName } from '../../main/engine/catalogue/classes';
import { redo, setLabels, undo } from '../../main/engine/catalogue/labels';
import { openProject } from '../../main/engine/catalogue/open';
import { insertImages } from '../helpers/label-fixtures';
import { tempDir } from '../helpers/paths';
import type { Figures } from './run';

const IMAGES = 100_000;

function seconds(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Math.round(Number(process.hrtime.bigint() - t0) / 1e6) / 1000;
}

export async function run(): Promise<Figures> {
  const { dir, cleanup } = tempDir('graft-bench-labels-');
  try {
    const db = openProject(path.join(dir, 'bench.graft'));
    try {
      const { ids } = insertImages(db, path.join(dir, 'photos'), Array.from({ length: IMAGES }, (_, i) => ({ cls: i % 2 ? 'cats' : 'dogs' })));
      const cats = findClassByName(db, 'cats')!.id;
      const dogs = findClassByName(db, 'dogs')!.id;
      let changed = 0;
      const set = seconds(() => (changed = setLabels(db, ids, cats).changed));
      if (changed !== IMAGES / 2) throw new Error(`labels.set changed ${changed} images, expected ${IMAGES / 2}`);
      const undoSet = seconds(() => undo(db));
      const redoSet = seconds(() => redo(db));
      undo(db);
      const del = seconds(() => deleteClass(db, dogs));
      const undoDel = seconds(() => undo(db));
      if (findClassByName(db, 'dogs')?.count !== IMAGES / 2) throw new Error('undoing the delete did not bring the 50,000 dogs back');
      return {
        labelsSet100kSeconds: set,
        labelsUndo100kSeconds: undoSet,
        labelsRedo100kSeconds: redoSet,
        classDelete50kSeconds: del,
        classDeleteUndo50kSeconds: undoDel,
      };
    } finally {
      db.close();
    }
  } finally {
    cleanup();
  }
}
