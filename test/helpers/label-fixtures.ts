import { createHash } from 'node:crypto';
import path from 'node:path';
import { ensureClass } from '../../main/engine/catalogue/classes';
import type { Db } from '../../main/engine/catalogue/open';

/**
 * Builds a small catalogue by inserting rows directly, for tests of classes and
 * labels that do not need real pixels: `folder/<class>/<n>.jpg` per image.
 */
export interface FixtureImage {
  /** Folder class at "import", or null for an image at the top level (unlabelled). */
  cls: string | null;
  conflict?: boolean;
  /** Extra paths holding the same bytes. */
  copies?: number;
}

export function insertImages(db: Db, folder: string, images: FixtureImage[], now = 1_700_000_000_000): { ids: number[]; paths: string[][] } {
  const insertImage = db.prepare(
    `INSERT INTO images (hash, bytes, width, height, format, thumbnail, class_id, conflict, imported_at)
     VALUES (?, 1000, 64, 48, 'jpeg', x'ffd8ffd9', ?, ?, ?)`,
  );
  const insertFile = db.prepare(
    `INSERT INTO files (path, image_id, size, mtime_ms, folder_class, imported_at) VALUES (?, ?, 1000, ?, ?, ?)`,
  );
  const start = (db.prepare(`SELECT COUNT(*) AS n FROM images`).get() as { n: number }).n;
  const ids: number[] = [];
  const paths: string[][] = [];
  const classIds = new Map<string, number>();
  db.transaction(() => {
    images.forEach((img, i) => {
      const n = start + i;
      const classId = img.cls === null ? null : (classIds.get(img.cls) ?? classIds.set(img.cls, ensureClass(db, img.cls, now)).get(img.cls)!);
      const hash = createHash('sha256').update(`image-${n}`).digest('hex');
      const id = Number(insertImage.run(hash, classId, img.conflict ? 1 : 0, now).lastInsertRowid);
      const mine: string[] = [];
      for (let c = 0; c <= (img.copies ?? 0); c++) {
        const p = path.join(folder, img.cls ?? '', `${n}${c ? `-copy${c}` : ''}.jpg`);
        insertFile.run(p, id, now, img.cls, now);
        mine.push(p);
      }
      ids.push(id);
      paths.push(mine);
    });
  })();
  return { ids, paths };
}

/** Everything undo must restore exactly: the live classes and every image's label and conflict. */
export function snapshot(db: Db): unknown {
  return {
    classes: db.prepare(`SELECT id, name, color, position FROM classes WHERE deleted_at IS NULL ORDER BY id`).all(),
    images: db.prepare(`SELECT id, class_id, conflict FROM images ORDER BY id`).all(),
  };
}

/** Live classes as name → image count, in display order. */
export function counts(db: Db): Record<string, number> {
  const rows = db
    .prepare(
      `SELECT c.name, (SELECT COUNT(*) FROM images i WHERE i.class_id = c.id) AS n FROM classes c
       WHERE c.deleted_at IS NULL ORDER BY c.position`,
    )
    .all() as { name: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}
