import { CLASS_COLORS, classNameProblem } from '../../../shared/class-names';
import type { ClassInfo, LabelChangeResult } from '../../../shared/types';
import { GraftError } from '../errors';
import type { Db } from './open';
import { LIVE_CLASS } from './rules';
import type { Operation } from './operations';
import { adoptClassImages, applyLabelRows, recordOperation, revertLabelRows, updatePayload } from './operations';

/**
 * Class management. Classes are soft-deleted (`deleted_at`), so that undoing a
 * delete or a merge brings the very same class back, with its id, colour and images.
 * Live classes keep contiguous positions 0…n-1: position + 1 is the keyboard
 * shortcut of the first nine, so a gap would leave a dead key.
 *
 * Every change here is one undoable operation (see operations.ts) and runs in one
 * IMMEDIATE transaction: it takes the write lock before reading, so a CLI and the app
 * working on the same project wait for each other instead of one failing with a
 * stale snapshot (SQLITE_BUSY_SNAPSHOT) halfway through; `applyClassOperation` / `revertClassOperation` are what undo and
 * redo (labels.ts) call, and the first application of merge and delete goes through
 * the same code as their redo.
 */

interface ClassRow {
  id: number;
  name: string;
  color: string;
  position: number;
  deleted_at: number | null;
}

/** The live class with this name (case-insensitive), created at the end of the order if missing. */
export function ensureClass(db: Db, name: string, now = Date.now()): number {
  // The importer calls this once per new image: look up the id only, never count images.
  const found = db.prepare(`SELECT id FROM classes WHERE name = ? COLLATE NOCASE AND deleted_at IS NULL`).get(name) as
    | { id: number }
    | undefined;
  if (found) return found.id;
  return insertClass(db, name, nextColor(db), now);
}

/** Live classes in display order, with how many images each holds. */
export function listClasses(db: Db): ClassInfo[] {
  return db
    .prepare(
      `SELECT c.id, c.name, c.color, c.position, (SELECT COUNT(*) FROM images i WHERE i.class_id = c.id) AS count
       FROM classes c WHERE c.deleted_at IS NULL ORDER BY c.position, c.id`,
    )
    .all() as ClassInfo[];
}

/** Images with no label. */
export function unlabelledCount(db: Db): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM images WHERE class_id IS NULL`).get() as { n: number }).n;
}

/** One live class with its count; throws not_found for an unknown or deleted id. */
export function getClass(db: Db, id: number): ClassInfo {
  const row = db
    .prepare(
      `SELECT c.id, c.name, c.color, c.position, (SELECT COUNT(*) FROM images i WHERE i.class_id = c.id) AS count
       FROM classes c WHERE c.id = ? AND c.deleted_at IS NULL`,
    )
    .get(id) as ClassInfo | undefined;
  if (!row) throw new GraftError('not_found', `There is no class with id ${id} (it may have been deleted). Refresh the class list and try again.`);
  return row;
}

/** The live class with this name, compared case-insensitively, or null. */
export function findClassByName(db: Db, name: string): ClassInfo | null {
  const row = db
    .prepare(`SELECT id FROM classes WHERE name = ? COLLATE NOCASE AND deleted_at IS NULL`)
    .get(name.trim()) as { id: number } | undefined;
  return row ? getClass(db, row.id) : null;
}

export function createClass(db: Db, name: string, color?: string, now = Date.now()): ClassInfo {
  const clean = checkName(name);
  return db.transaction(() => {
    const existing = findClassByName(db, clean);
    if (existing) {
      throw new GraftError('conflict', `There is already a class named "${existing.name}". Pick another name.`);
    }
    const chosen = color ? normalizeColor(color) : nextColor(db);
    const id = insertClass(db, clean, chosen, now);
    recordOperation(db, 'create', `Create class "${clean}"`, { classId: id, name: clean } satisfies CreatePayload, now);
    return getClass(db, id);
  }).immediate();
}

export function renameClass(db: Db, id: number, name: string, now = Date.now()): ClassInfo {
  const clean = checkName(name);
  return db.transaction(() => {
    const cls = getClass(db, id);
    if (cls.name === clean) return cls;
    const other = findClassByName(db, clean);
    if (other && other.id !== id) {
      throw new GraftError(
        'conflict',
        `There is already a class named "${other.name}". To put the images of "${cls.name}" there, merge "${cls.name}" into "${other.name}" instead.`,
      );
    }
    db.prepare(`UPDATE classes SET name = ? WHERE id = ?`).run(clean, id);
    const payload: RenamePayload = { classId: id, from: cls.name, to: clean };
    recordOperation(db, 'rename', `Rename class "${cls.name}" to "${clean}"`, payload, now);
    return getClass(db, id);
  }).immediate();
}

export function recolorClass(db: Db, id: number, color: string, now = Date.now()): ClassInfo {
  const clean = normalizeColor(color);
  return db.transaction(() => {
    const cls = getClass(db, id);
    if (cls.color.toLowerCase() === clean) return cls;
    db.prepare(`UPDATE classes SET color = ? WHERE id = ?`).run(clean, id);
    const payload: RecolorPayload = { classId: id, from: cls.color, to: clean };
    recordOperation(db, 'recolor', `Change the colour of "${cls.name}"`, payload, now);
    return getClass(db, id);
  }).immediate();
}

/**
 * Puts the live classes in this order. Classes the list leaves out keep their
 * relative order after the listed ones, so a list that raced with an import
 * creating a class still does what the person dragged.
 */
export function reorderClasses(db: Db, ids: number[], now = Date.now()): ClassInfo[] {
  return db.transaction(() => {
    const seen = new Set<number>();
    for (const id of ids) {
      if (seen.has(id)) throw new GraftError('invalid_params', `Class id ${id} appears twice in the new order; list each class once.`);
      seen.add(id);
      getClass(db, id);
    }
    const before = liveOrder(db);
    const after = arrange(db, ids);
    if (after.every((id, i) => id === before[i])) return listClasses(db);
    writeOrder(db, after);
    const payload: ReorderPayload = { before, after };
    recordOperation(db, 'reorder', 'Reorder classes', payload, now);
    return listClasses(db);
  }).immediate();
}

/** Moves every image of `from` into `into`, then removes `from`: one undoable step. */
export function mergeClasses(db: Db, from: number, into: number, now = Date.now()): LabelChangeResult {
  return db.transaction(() => {
    const source = getClass(db, from);
    const target = getClass(db, into);
    if (from === into) {
      throw new GraftError('invalid_params', `Cannot merge "${source.name}" into itself: pick a different class to merge it into.`);
    }
    const payload: RetirePayload = { classId: from, name: source.name, into, intoName: target.name, position: source.position };
    const what = source.count ? ` (${plural(source.count)})` : '';
    const operationId = recordOperation(db, 'merge', `Merge "${source.name}" into "${target.name}"${what}`, payload, now);
    const changed = retire(db, operationId, payload, now);
    return { changed, operationId };
  }).immediate();
}

/** Removes a class; its images become unlabelled, and undo brings both back. */
export function deleteClass(db: Db, id: number, now = Date.now()): LabelChangeResult {
  return db.transaction(() => {
    const cls = getClass(db, id);
    const payload: RetirePayload = { classId: id, name: cls.name, into: null, intoName: null, position: cls.position };
    const what = cls.count ? ` (${plural(cls.count)} become unlabelled)` : '';
    const operationId = recordOperation(db, 'delete', `Delete class "${cls.name}"${what}`, payload, now);
    const changed = retire(db, operationId, payload, now);
    return { changed, operationId };
  }).immediate();
}

// ---------------------------------------------------------------------------
// Undo and redo of class-level operations.

interface CreatePayload {
  classId: number;
  name: string;
}
interface RenamePayload {
  classId: number;
  from: string;
  to: string;
}
interface RecolorPayload {
  classId: number;
  from: string;
  to: string;
}
interface ReorderPayload {
  before: number[];
  after: number[];
}
/** merge (into = a class) and delete (into = null). */
interface RetirePayload {
  classId: number;
  name: string;
  into: number | null;
  intoName: string | null;
  /** Where the class stood, to put it back there on undo. */
  position: number;
}

/** What undoing or redoing a step did. */
export interface StepOutcome {
  /** Images whose label changed. */
  changed: number;
  /** Said to the person when the step could not be replayed exactly (a name was taken meanwhile). */
  note?: string;
}

/** Re-applies a class-level operation (redo). Caller holds the transaction. */
export function applyClassOperation(db: Db, op: Operation, now = Date.now()): StepOutcome {
  switch (op.kind) {
    case 'create': {
      const p = op.payload as CreatePayload;
      const name = restore(db, p.classId, p.name, liveOrder(db).length);
      return { changed: applyLabelRows(db, op.id, false), note: renamedNote(p.name, name) };
    }
    case 'rename':
    case 'recolor':
    case 'reorder':
      return setSide(db, op, 'after');
    case 'merge':
    case 'delete': {
      const p = op.payload as RetirePayload;
      if (p.into !== null) liveOrThrow(db, p.into, p.intoName);
      // Where it stands now may differ from the first time (a reorder since), and undo should put it back here.
      const position = liveOrder(db).indexOf(p.classId);
      updatePayload(db, op.id, { ...p, position: position >= 0 ? position : p.position });
      return { changed: retire(db, op.id, p, now) };
    }
    default:
      throw new GraftError('internal', `Cannot redo an operation of kind "${op.kind}".`);
  }
}

/** Reverts a class-level operation (undo). Caller holds the transaction. */
export function revertClassOperation(db: Db, op: Operation, now = Date.now()): StepOutcome {
  switch (op.kind) {
    case 'create': {
      const p = op.payload as CreatePayload;
      // Images an import put in the class since become unlabelled, recorded so that redo puts them back.
      adoptClassImages(db, op.id, p.classId, null, p.classId);
      const changed = revertLabelRows(db, op.id, false);
      softDelete(db, p.classId, now);
      return { changed };
    }
    case 'rename':
    case 'recolor':
    case 'reorder':
      return setSide(db, op, 'before');
    case 'merge':
    case 'delete': {
      const p = op.payload as RetirePayload;
      const name = restore(db, p.classId, p.name, p.position);
      return { changed: revertLabelRows(db, op.id, false), note: renamedNote(p.name, name) };
    }
    default:
      throw new GraftError('internal', `Cannot undo an operation of kind "${op.kind}".`);
  }
}

/** Rename, recolor and reorder record both sides: redo writes the one after, undo the one before. */
function setSide(db: Db, op: Operation, side: 'before' | 'after'): StepOutcome {
  if (op.kind === 'reorder') {
    const p = op.payload as ReorderPayload;
    writeOrder(db, arrange(db, p[side]));
    return { changed: 0 };
  }
  const p = op.payload as RenamePayload | RecolorPayload;
  const value = side === 'after' ? p.to : p.from;
  if (op.kind === 'recolor') {
    db.prepare(`UPDATE classes SET color = ? WHERE id = ?`).run(value, p.classId);
    return { changed: 0 };
  }
  return { changed: 0, note: renamedNote(value, setName(db, p.classId, value)) };
}

/** Moves the class's images (to `into` or to unlabelled) and soft-deletes it. */
function retire(db: Db, operationId: number, p: RetirePayload, now: number): number {
  adoptClassImages(db, operationId, p.classId, p.classId, p.into);
  const changed = applyLabelRows(db, operationId, false);
  softDelete(db, p.classId, now);
  return changed;
}

function softDelete(db: Db, id: number, now: number): void {
  db.prepare(`UPDATE classes SET deleted_at = ? WHERE id = ?`).run(now, id);
  writeOrder(db, liveOrder(db).filter((c) => c !== id));
}

/** Brings a soft-deleted class back at `position`; returns the name it got. */
function restore(db: Db, id: number, name: string, position: number): string {
  const free = freeName(db, name, id);
  db.prepare(`UPDATE classes SET deleted_at = NULL, name = ? WHERE id = ?`).run(free, id);
  const order = liveOrder(db).filter((c) => c !== id);
  order.splice(Math.max(0, Math.min(position, order.length)), 0, id);
  writeOrder(db, order);
  return free;
}

function setName(db: Db, id: number, name: string): string {
  const free = freeName(db, name, id);
  db.prepare(`UPDATE classes SET name = ? WHERE id = ?`).run(free, id);
  return free;
}

/**
 * `wanted`, or "wanted (2)", "wanted (3)"… if another live class has taken it since
 * (an import can create a class of that name while this one was deleted). Undo must
 * not get stuck on such a clash: it brings the class back under a free name and says so.
 */
function freeName(db: Db, wanted: string, selfId: number): string {
  const taken = db.prepare(`SELECT 1 FROM classes WHERE name = ? COLLATE NOCASE AND deleted_at IS NULL AND id != ?`);
  if (!taken.get(wanted, selfId)) return wanted;
  for (let n = 2; ; n++) {
    const candidate = `${wanted} (${n})`;
    if (!taken.get(candidate, selfId)) return candidate;
  }
}

function renamedNote(wanted: string, got: string): string | undefined {
  return wanted === got ? undefined : `another class is now called "${wanted}", so this one is "${got}"`;
}

function liveOrThrow(db: Db, id: number, name: string | null): void {
  const row = db.prepare(`SELECT deleted_at FROM classes WHERE id = ?`).get(id) as Pick<ClassRow, 'deleted_at'> | undefined;
  if (!row || row.deleted_at !== null) {
    throw new GraftError('conflict', `Cannot redo: the class "${name ?? id}" no longer exists.`);
  }
}

function insertClass(db: Db, name: string, color: string, now: number): number {
  const { next } = db.prepare(`SELECT COALESCE(MAX(position) + 1, 0) AS next FROM classes WHERE deleted_at IS NULL`).get() as {
    next: number;
  };
  const info = db.prepare(`INSERT INTO classes (name, color, position, created_at) VALUES (?, ?, ?, ?)`).run(name, color, next, now);
  return Number(info.lastInsertRowid);
}

/** The first palette colour no live class wears; cycles by count once all twenty are taken. */
function nextColor(db: Db): string {
  const used = new Set(
    (db.prepare(`SELECT color FROM classes WHERE deleted_at IS NULL`).all() as { color: string }[]).map((r) => r.color.toLowerCase()),
  );
  return CLASS_COLORS.find((c) => !used.has(c)) ?? CLASS_COLORS[used.size % CLASS_COLORS.length];
}

function liveOrder(db: Db): number[] {
  return (db.prepare(`SELECT id FROM classes WHERE deleted_at IS NULL ORDER BY position, id`).all() as { id: number }[]).map((r) => r.id);
}

/** `wanted` (live ones only), then every other live class in its current order. */
function arrange(db: Db, wanted: number[]): number[] {
  const live = liveOrder(db);
  const liveSet = new Set(live);
  const first = wanted.filter((id) => liveSet.has(id));
  const firstSet = new Set(first);
  return [...first, ...live.filter((id) => !firstSet.has(id))];
}

function writeOrder(db: Db, ids: number[]): void {
  const set = db.prepare(`UPDATE classes SET position = ? WHERE id = ? AND position != ?`);
  ids.forEach((id, position) => set.run(position, id, position));
}

function checkName(name: string): string {
  const problem = classNameProblem(name);
  if (problem) throw new GraftError('invalid_params', problem);
  return name.trim();
}

/** `#rrggbb` in lower case, or an invalid_params error that shows the form. */
export function normalizeColor(color: string): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(color)) {
    throw new GraftError('invalid_params', `"${color}" is not a colour: write it as #rrggbb, e.g. #e6194b.`);
  }
  return color.toLowerCase();
}

function plural(n: number): string {
  return `${n} image${n === 1 ? '' : 's'}`;
}

/** The live class of each name (null for a name no live class has): runs store class names. */
export function liveClassIds(db: Db, names: string[]): Array<number | null> {
  const byName = new Map([...liveClassNames(db)].map(([id, name]) => [name, id]));
  return names.map((n) => byName.get(n) ?? null);
}

/** Every live class's name, by id. */
export function liveClassNames(db: Db): Map<number, string> {
  const rows = db.prepare(`SELECT c.id, c.name FROM classes c WHERE ${LIVE_CLASS}`).all() as Array<{ id: number; name: string }>;
  return new Map(rows.map((r) => [r.id, r.name]));
}
