import type { ProjectStatus } from '../../../shared/types';
import type { Db } from './open';

/**
 * The project at a glance, as `graft status` and the window title show it. Counts
 * are of images (distinct bytes), not files: two copies of one photo are one image.
 * `classes` lists every live class in display order, empty ones included;
 * `missing` counts images none of whose files is on disk any more (their labels and
 * codes are kept, so restoring the files brings them back).
 */
export function getStatus(db: Db): Omit<ProjectStatus, 'readOnly'> {
  const images = count(db, `SELECT COUNT(*) AS n FROM images`);
  const classes: Record<string, number> = {};
  const rows = db
    .prepare(
      `SELECT c.name, (SELECT COUNT(*) FROM images i WHERE i.class_id = c.id) AS n
       FROM classes c WHERE c.deleted_at IS NULL ORDER BY c.position, c.id`,
    )
    .all() as Array<{ name: string; n: number }>;
  for (const r of rows) classes[r.name] = r.n;
  const unlabelled = count(
    db,
    `SELECT COUNT(*) AS n FROM images i
     WHERE i.class_id IS NULL OR i.class_id NOT IN (SELECT id FROM classes WHERE deleted_at IS NULL)`,
  );
  const conflicts = count(db, `SELECT COUNT(*) AS n FROM images WHERE conflict = 1`);
  const missing = count(
    db,
    `SELECT COUNT(*) AS n FROM images i WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.image_id = i.id AND f.missing = 0)`,
  );
  return { path: db.name, images, classes, unlabelled, conflicts, missing };
}

function count(db: Db, sql: string): number {
  return (db.prepare(sql).get() as { n: number }).n;
}
