/**
 * The catalogue's rules, written once as SQL. Queries alias `images` as `i`, `classes` as
 * `c` and `files` as `f`.
 *
 * - A live class is one that has not been deleted (deleting keeps the row, for undo).
 * - A present file is one the last import saw on disk; a missing one keeps its image.
 * - A labelled image has a live class; a trainable one is labelled and not in conflict
 *   (the same bytes under different class folders, waiting for the user to pick).
 */

/** `c` is a live class. */
export const LIVE_CLASS = 'c.deleted_at IS NULL';

/** Joins an image `i` to its live class `c` (images without one drop out). */
export const JOIN_LIVE_CLASS = `JOIN classes c ON c.id = i.class_id AND ${LIVE_CLASS}`;

/** `i`'s live class id, or null: a correlated subquery for SELECT lists. */
export const LIVE_CLASS_ID_OF_IMAGE = `(SELECT c.id FROM classes c WHERE c.id = i.class_id AND ${LIVE_CLASS})`;

/** `f` is a present file. */
export const PRESENT_FILE = 'f.missing = 0';

/** `i` has at least one present file. */
export const HAS_PRESENT_FILE = `EXISTS (SELECT 1 FROM files f WHERE f.image_id = i.id AND ${PRESENT_FILE})`;

/** `i` has no live class. */
export const UNLABELLED = `(i.class_id IS NULL OR NOT EXISTS (SELECT 1 FROM classes c WHERE c.id = i.class_id AND ${LIVE_CLASS}))`;

/** With JOIN_LIVE_CLASS: `i` is trainable (labelled and not in conflict). */
export const NOT_IN_CONFLICT = 'i.conflict = 0';

/** The path people know an image by: its first present file, else its first file. */
export const DISPLAY_PATH_OF_IMAGE = '(SELECT f.path FROM files f WHERE f.image_id = i.id ORDER BY f.missing, f.id LIMIT 1)';
