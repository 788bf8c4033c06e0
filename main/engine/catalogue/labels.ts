import type { LabelChangeResult, UndoResult } from '../../../shared/types';
import { GraftError } from '../errors';
import { applyClassOperation, getClass, revertClassOperation } from './classes';
import type { StepOutcome } from './classes';
import type { Db } from './open';
import { JOIN_LIVE_CLASS, LIVE_CLASS_ID_OF_IMAGE } from './rules';
import type { Operation } from './operations';
import { applyLabelRows, markUndone, nextRedo, nextUndo, recordOperation, revertLabelRows } from './operations';

/**
 * Labelling images, and undo/redo of every class and label change.
 *
 * Setting a label is what a person does to settle a conflict (the same bytes
 * imported under folders of different classes), so it clears `conflict`; undo
 * restores it from `label_history.old_conflict`.
 *
 * Transactions are IMMEDIATE for the reason given in classes.ts.
 */

/**
 * Gives every listed image the class `classId` (null: unlabelled), as one
 * undoable step. Images that already have that label (and no conflict) are left
 * alone; if none change, no step is recorded and redo stays possible.
 */
export function setLabels(db: Db, imageIds: readonly number[], classId: number | null, now = Date.now()): LabelChangeResult {
  const ids = [...new Set(imageIds)];
  if (!ids.length) return { changed: 0, operationId: null };
  return db.transaction(() => {
    const target = classId === null ? null : getClass(db, classId);
    const idsJson = JSON.stringify(ids);
    const known = db
      .prepare(`SELECT COUNT(*) AS n FROM images WHERE id IN (SELECT value FROM json_each(?))`)
      .get(idsJson) as { n: number };
    if (known.n !== ids.length) {
      const present = new Set(
        (db.prepare(`SELECT id FROM images WHERE id IN (SELECT value FROM json_each(?))`).all(idsJson) as { id: number }[]).map((r) => r.id),
      );
      const gone = ids.filter((id) => !present.has(id));
      const shown = gone.slice(0, 5).join(', ') + (gone.length > 5 ? ', …' : '');
      throw new GraftError(
        'not_found',
        `${gone.length} of the chosen images ${gone.length === 1 ? 'is' : 'are'} not in the project (id ${shown}). Refresh the view and try again; nothing was changed.`,
      );
    }
    // Only images whose label would change, or whose conflict this settles.
    const changing = db
      .prepare(
        `SELECT COUNT(*) AS n FROM images
         WHERE id IN (SELECT value FROM json_each(?)) AND (class_id IS NOT ? OR conflict = 1)`,
      )
      .get(idsJson, classId) as { n: number };
    if (changing.n === 0) return { changed: 0, operationId: null };

    const images = `${changing.n} image${changing.n === 1 ? '' : 's'}`;
    const description = target ? `Label ${images} as "${target.name}"` : `Remove the label from ${images}`;
    const operationId = recordOperation(db, 'label', description, { classId }, now);
    db.prepare(
      `INSERT INTO label_history (operation_id, image_id, old_class_id, new_class_id, old_conflict)
       SELECT ?, id, class_id, ?, conflict FROM images
       WHERE id IN (SELECT value FROM json_each(?)) AND (class_id IS NOT ? OR conflict = 1)`,
    ).run(operationId, classId, idsJson, classId);
    const changed = applyLabelRows(db, operationId, true);
    return { changed, operationId };
  }).immediate();
}

/** Reverts the newest step not yet undone. */
export function undo(db: Db, now = Date.now()): UndoResult {
  return db.transaction(() => {
    const op = nextUndo(db);
    if (!op) throw new GraftError('not_found', 'Nothing to undo.');
    const outcome = op.kind === 'label' ? { changed: revertLabelRows(db, op.id, true) } : revertClassOperation(db, op, now);
    markUndone(db, op.id, true);
    return { description: summary('Undid', op, outcome), changed: outcome.changed };
  }).immediate();
}

/** Re-applies the step undone most recently. */
export function redo(db: Db, now = Date.now()): UndoResult {
  return db.transaction(() => {
    const op = nextRedo(db);
    if (!op) throw new GraftError('not_found', 'Nothing to redo.');
    const outcome = op.kind === 'label' ? { changed: applyLabelRows(db, op.id, true) } : applyClassOperation(db, op, now);
    markUndone(db, op.id, false);
    return { description: summary('Redid', op, outcome), changed: outcome.changed };
  }).immediate();
}

/** What undo and redo would do now, for menu items ("Undo Label 3 images as "roses""). */
export function undoState(db: Db): { undo: string | null; redo: string | null } {
  return { undo: nextUndo(db)?.description ?? null, redo: nextRedo(db)?.description ?? null };
}

function summary(verb: 'Undid' | 'Redid', op: Operation, outcome: StepOutcome): string {
  const what = op.description.charAt(0).toLowerCase() + op.description.slice(1);
  return `${verb}: ${what}${outcome.note ? ` (${outcome.note})` : ''}`;
}

/** Every image's live class (null: unlabelled, or its class was deleted), as parallel arrays in id order. */
export function liveLabelsOfAllImages(db: Db): { imageIds: number[]; classIds: Array<number | null> } {
  const rows = db.prepare(`SELECT i.id, ${LIVE_CLASS_ID_OF_IMAGE} AS classId FROM images i ORDER BY i.id`).all() as Array<{ id: number; classId: number | null }>;
  return { imageIds: rows.map((r) => r.id), classIds: rows.map((r) => r.classId) };
}

/** The live class id of every labelled image. */
export function liveLabels(db: Db): Map<number, number> {
  const rows = db.prepare(`SELECT i.id, i.class_id AS classId FROM images i ${JOIN_LIVE_CLASS}`).all() as Array<{ id: number; classId: number }>;
  return new Map(rows.map((r) => [r.id, r.classId]));
}
