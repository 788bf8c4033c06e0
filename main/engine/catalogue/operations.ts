import type { Db } from './open';

/**
 * The undo log. Every user action that changes classes or labels is one row of
 * `operations`; the label changes it made are its rows in `label_history`. Undo
 * reverts the newest operation not yet undone; redo re-applies the most recently
 * undone one. Undone operations always form a tail of the log, because recording
 * a new operation discards that tail (the usual editor rule: after undo, a new
 * edit makes redo impossible).
 *
 * Callers run inside a transaction: these helpers never open one themselves.
 */

export type OperationKind = 'label' | 'create' | 'rename' | 'recolor' | 'reorder' | 'merge' | 'delete';

export interface Operation {
  id: number;
  kind: OperationKind;
  description: string;
  payload: unknown;
  createdAt: number;
  undone: boolean;
}

/**
 * How many operations the log keeps. Older ones are forgotten: a person undoes the
 * last few steps, not last month's, and each label step can hold 100,000 rows.
 */
export const UNDO_LIMIT = 200;

interface OperationRow {
  id: number;
  kind: OperationKind;
  description: string;
  payload: string;
  created_at: number;
  undone: number;
}

function toOperation(row: OperationRow): Operation {
  return {
    id: row.id,
    kind: row.kind,
    description: row.description,
    payload: JSON.parse(row.payload),
    createdAt: row.created_at,
    undone: row.undone === 1,
  };
}

/** Records a new operation: discards the redo tail, inserts the row, forgets the oldest beyond the limit. */
export function recordOperation(db: Db, kind: OperationKind, description: string, payload: unknown, now: number): number {
  // label_history rows of the discarded operations go with them (ON DELETE CASCADE).
  db.prepare(`DELETE FROM operations WHERE undone = 1`).run();
  const info = db
    .prepare(`INSERT INTO operations (kind, description, payload, created_at) VALUES (?, ?, ?, ?)`)
    .run(kind, description, JSON.stringify(payload ?? {}), now);
  const id = Number(info.lastInsertRowid);
  db.prepare(`DELETE FROM operations WHERE id <= ?`).run(id - UNDO_LIMIT);
  return id;
}

export function updatePayload(db: Db, operationId: number, payload: unknown): void {
  db.prepare(`UPDATE operations SET payload = ? WHERE id = ?`).run(JSON.stringify(payload ?? {}), operationId);
}

/** The operation the next undo would revert, if any. */
export function nextUndo(db: Db): Operation | null {
  const row = db.prepare(`SELECT * FROM operations WHERE undone = 0 ORDER BY id DESC LIMIT 1`).get() as OperationRow | undefined;
  return row ? toOperation(row) : null;
}

/** The operation the next redo would re-apply, if any. */
export function nextRedo(db: Db): Operation | null {
  const row = db.prepare(`SELECT * FROM operations WHERE undone = 1 ORDER BY id ASC LIMIT 1`).get() as OperationRow | undefined;
  return row ? toOperation(row) : null;
}

export function markUndone(db: Db, operationId: number, undone: boolean): void {
  db.prepare(`UPDATE operations SET undone = ? WHERE id = ?`).run(undone ? 1 : 0, operationId);
}

/**
 * Adds to an operation's label rows every image now in `classId` that the operation
 * does not list yet, as a move from `oldClassId` to `newClassId`.
 *
 * Why: an import can put images into a live class without an operation of its own
 * (it is not undoable). When an operation removes that class again (redoing a
 * delete or merge, undoing a create), those images must move too, or they would
 * point at a class nobody can see; recording them keeps the step reversible.
 */
export function adoptClassImages(
  db: Db,
  operationId: number,
  classId: number,
  oldClassId: number | null,
  newClassId: number | null,
): void {
  db.prepare(
    `INSERT INTO label_history (operation_id, image_id, old_class_id, new_class_id, old_conflict)
     SELECT ?, i.id, ?, ?, i.conflict FROM images i
     WHERE i.class_id = ?
       AND NOT EXISTS (SELECT 1 FROM label_history h WHERE h.operation_id = ? AND h.image_id = i.id)`,
  ).run(operationId, oldClassId, newClassId, classId, operationId);
}

/**
 * Applies an operation's label rows forward. Only images still holding the old
 * label move: one that something else relabelled since is left as it is.
 * `resolvesConflicts`: a person chose this label, so the image is no longer in conflict.
 */
export function applyLabelRows(db: Db, operationId: number, resolvesConflicts: boolean): number {
  return db
    .prepare(
      `UPDATE images SET class_id = h.new_class_id, conflict = CASE WHEN ? THEN 0 ELSE images.conflict END
       FROM label_history h
       WHERE h.operation_id = ? AND h.image_id = images.id AND images.class_id IS h.old_class_id`,
    )
    .run(resolvesConflicts ? 1 : 0, operationId).changes;
}

/** Reverts an operation's label rows (where the image still holds the new label), restoring conflicts if asked. */
export function revertLabelRows(db: Db, operationId: number, restoresConflicts: boolean): number {
  return db
    .prepare(
      `UPDATE images SET class_id = h.old_class_id, conflict = CASE WHEN ? THEN h.old_conflict ELSE images.conflict END
       FROM label_history h
       WHERE h.operation_id = ? AND h.image_id = images.id AND images.class_id IS h.new_class_id`,
    )
    .run(restoresConflicts ? 1 : 0, operationId).changes;
}
