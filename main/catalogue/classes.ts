import type { Db } from './open';

/**
 * A palette of 20 colours that stay distinguishable next to each other and on
 * light and dark backgrounds (Sasha Trubetskoy's list); class N gets colour N mod 20.
 */
export const CLASS_COLORS = [
  '#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45', '#fabed4',
  '#469990', '#dcbeff', '#9a6324', '#fffac8', '#800000', '#aaffc3', '#808000', '#ffd8b1', '#000075', '#a9a9a9',
];

/** The live class with this name (case-insensitive), created at the end of the order if missing. */
export function ensureClass(db: Db, name: string, now = Date.now()): number {
  const found = db.prepare(`SELECT id FROM classes WHERE name = ? COLLATE NOCASE AND deleted_at IS NULL`).get(name) as
    | { id: number }
    | undefined;
  if (found) return found.id;
  const { n } = db.prepare(`SELECT COUNT(*) AS n FROM classes`).get() as { n: number };
  const { next } = db.prepare(`SELECT COALESCE(MAX(position) + 1, 0) AS next FROM classes WHERE deleted_at IS NULL`).get() as {
    next: number;
  };
  const info = db
    .prepare(`INSERT INTO classes (name, color, position, created_at) VALUES (?, ?, ?, ?)`)
    .run(name, CLASS_COLORS[n % CLASS_COLORS.length], next, now);
  return Number(info.lastInsertRowid);
}
