/**
 * Pre-labelling: unlabelled images get the class the model predicts, when it is at
 * least as confident as the user asked. Every image may get a different class, yet
 * it is one undoable step (one operation whose label_history rows carry each image's
 * new class), tagged so the library can list the pre-labelled images for review.
 */
import type { PredictionsSnapshot, PrelabelResult } from '../../../shared/api/insights';
import type { Db } from './open';
import { applyLabelRows, recordOperation } from './operations';
import { NOT_IN_CONFLICT, UNLABELLED } from './rules';

export function prelabel(db: Db, predictions: PredictionsSnapshot, minConfidence: number, now = Date.now()): PrelabelResult {
  return db.transaction((): PrelabelResult => {
    const unlabelled = new Set(unlabelledIds(db));
    const chosen: Array<{ imageId: number; classId: number }> = [];
    let candidates = 0;
    predictions.imageIds.forEach((imageId, i) => {
      if (!unlabelled.has(imageId)) return;
      const classId = predictions.classIds[predictions.predicted[i]];
      if (classId === null || classId === undefined) return; // the class is gone: nothing to suggest
      candidates++;
      if (predictions.confidence[i] >= minConfidence) chosen.push({ imageId, classId });
    });
    if (!chosen.length) return { changed: 0, operationId: null, skipped: candidates };
    const percent = Math.round(minConfidence * 100);
    const description = `Pre-label ${chosen.length} image${chosen.length === 1 ? '' : 's'} with the model (${percent}% or more)`;
    const operationId = recordOperation(db, 'label', description, { prelabel: { runId: predictions.runId, minConfidence } }, now);
    const insert = db.prepare(
      `INSERT INTO label_history (operation_id, image_id, old_class_id, new_class_id, old_conflict)
       SELECT ?, id, class_id, ?, conflict FROM images WHERE id = ?`,
    );
    for (const c of chosen) insert.run(operationId, c.classId, c.imageId);
    const changed = applyLabelRows(db, operationId, false);
    return { changed, operationId, skipped: candidates - chosen.length };
  }).immediate();
}

/** Unlabelled (no live class), not in conflict: the images pre-labelling may label. */
export function unlabelledIds(db: Db): number[] {
  return db
    .prepare(
      `SELECT i.id FROM images i WHERE ${NOT_IN_CONFLICT} AND ${UNLABELLED} ORDER BY i.id`,
    )
    .pluck()
    .all() as number[];
}

/** Images a pre-labelling step (not undone) labelled and that still carry that label. */
export function prelabelledIds(db: Db): number[] {
  return db
    .prepare(
      `SELECT DISTINCT h.image_id FROM label_history h
         JOIN operations o ON o.id = h.operation_id AND o.undone = 0 AND json_extract(o.payload, '$.prelabel') IS NOT NULL
         JOIN images i ON i.id = h.image_id AND i.class_id IS h.new_class_id
        ORDER BY h.image_id`,
    )
    .pluck()
    .all() as number[];
}
