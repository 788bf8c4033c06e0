/**
 * The importer's writes to the catalogue. Every method runs inside the caller's
 * transaction: the import commits a batch of files at a time, so a crash or a kill
 * loses at most the batch in flight, and the next import skips what was recorded.
 *
 * Labels come from folders only where no one has decided otherwise:
 * - a new image takes the class of its folder (or none, for the root folder);
 * - a new file of a known, unlabelled image gives it the folder's class;
 * - a new file of a known image under a folder of a *different* class marks the
 *   image as a label conflict. Its label is left as it was, never silently changed;
 *   the conflict stays until a person labels the image (labels.set clears it).
 */
import path from 'node:path';
import type { ConflictReport, DuplicateReport } from '../../../shared/types';
import { ensureClass } from './classes';
import { conflictLabels } from './images';
import type { Db } from './open';
import type { Thumbnailed } from '../importer/decode';

export interface FileToRecord {
  path: string;
  folderClass: string | null;
  size: number;
  mtimeMs: number;
  hash: string;
  /** Present when the bytes are new to the catalogue. */
  decoded?: Thumbnailed;
}

export interface RecordedFile {
  id: number;
  path: string;
  image_id: number;
  size: number;
  mtime_ms: number;
  missing: number;
  folder_class: string | null;
}

export type RecordOutcome = 'added' | 'added-new-image' | 'unchanged';

/** Thrown for a file whose image could not be recorded; the caller reports it as skipped. */
export class RecordError extends Error {}

export class CatalogueWriter {
  private readonly stmt;

  constructor(
    private readonly db: Db,
    private readonly now = Date.now(),
  ) {
    this.stmt = {
      imageByHash: db.prepare(`SELECT id, class_id, conflict FROM images WHERE hash = ?`),
      imageSizes: db.prepare(`SELECT DISTINCT bytes FROM images`).pluck(),
      fileByPath: db.prepare(`SELECT id, path, image_id, size, mtime_ms, missing, folder_class FROM files WHERE path = ?`),
      filesUnder: db.prepare(`SELECT id, path, image_id, size, mtime_ms, missing, folder_class FROM files WHERE path >= ? AND path < ?`),
      className: db.prepare(`SELECT name FROM classes WHERE id = ? AND deleted_at IS NULL`).pluck(),
      insertImage: db.prepare(
        `INSERT INTO images (hash, bytes, width, height, format, thumbnail, class_id, conflict, imported_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)`,
      ),
      setClass: db.prepare(`UPDATE images SET class_id = ? WHERE id = ?`),
      setConflict: db.prepare(`UPDATE images SET conflict = 1 WHERE id = ?`),
      insertFile: db.prepare(
        `INSERT INTO files (path, image_id, size, mtime_ms, folder_class, missing, imported_at) VALUES (?, ?, ?, ?, ?, 0, ?)`,
      ),
      repointFile: db.prepare(
        `UPDATE files SET image_id = ?, size = ?, mtime_ms = ?, folder_class = ?, missing = 0, imported_at = ? WHERE id = ?`,
      ),
      touchFile: db.prepare(`UPDATE files SET size = ?, mtime_ms = ?, missing = 0 WHERE id = ?`),
      setMissing: db.prepare(`UPDATE files SET missing = ? WHERE id = ?`),
      setFolderClass: db.prepare(`UPDATE files SET folder_class = ? WHERE id = ?`),
      imageLabel: db.prepare(`SELECT id, class_id, conflict FROM images WHERE id = ?`),
    };
  }

  /** Runs `work` in one transaction: what it records lands together or not at all. */
  inTransaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  hasImage(hash: string): boolean {
    return this.stmt.imageByHash.get(hash) !== undefined;
  }

  /** The id of the image with these bytes, if the catalogue has it. */
  imageIdOf(hash: string): number | undefined {
    return (this.stmt.imageByHash.get(hash) as { id: number } | undefined)?.id;
  }

  /** The byte sizes of the catalogue's images (a file of any other size holds bytes it lacks). */
  imageSizes(): Set<number> {
    return new Set(this.stmt.imageSizes.all() as number[]);
  }

  /** Every recorded file under a folder (absolute, canonical), by path. */
  filesUnder(root: string): Map<string, RecordedFile> {
    const [from, to] = pathRange(root);
    const rows = this.stmt.filesUnder.all(from, to) as RecordedFile[];
    return new Map(rows.map((r) => [r.path, r]));
  }

  setMissing(fileId: number, missing: boolean): void {
    this.stmt.setMissing.run(missing ? 1 : 0, fileId);
  }

  /**
   * An unchanged file that now sits under a class folder but was recorded without one:
   * its subfolder was imported on its own first, then the parent folder. It labels
   * its image if the image has no label yet; a label someone set is kept.
   */
  adoptFolderClass(file: RecordedFile, folderClass: string): boolean {
    this.stmt.setFolderClass.run(folderClass, file.id);
    const image = this.stmt.imageLabel.get(file.image_id) as { id: number; class_id: number | null; conflict: number } | undefined;
    if (!image || image.class_id !== null || image.conflict) return false;
    this.stmt.setClass.run(ensureClass(this.db, folderClass, this.now), image.id);
    return true;
  }

  /** Records one file (new, or whose size or time changed since the last import). */
  record(file: FileToRecord): RecordOutcome {
    const existingFile = this.stmt.fileByPath.get(file.path) as RecordedFile | undefined;
    const image = this.stmt.imageByHash.get(file.hash) as { id: number; class_id: number | null; conflict: number } | undefined;

    if (existingFile && image && existingFile.image_id === image.id) {
      // Touched but not changed (copied with new times, or re-saved identically).
      this.stmt.touchFile.run(file.size, file.mtimeMs, existingFile.id);
      return 'unchanged';
    }

    let imageId: number;
    let newImage = false;
    if (!image) {
      const d = file.decoded;
      if (!d) throw new RecordError('its identical copy could not be recorded; run the import again');
      // A file whose content changed keeps the label its old content had: a person who
      // relabelled a photo and then retouched it expects the label to stay.
      const inherited = existingFile
        ? (this.db.prepare(`SELECT class_id FROM images WHERE id = ?`).pluck().get(existingFile.image_id) as number | null | undefined)
        : undefined;
      const classId = inherited !== undefined ? inherited : file.folderClass ? ensureClass(this.db, file.folderClass, this.now) : null;
      imageId = Number(
        this.stmt.insertImage.run(file.hash, file.size, d.width, d.height, d.format, d.thumbnail, classId, this.now).lastInsertRowid,
      );
      newImage = true;
    } else {
      imageId = image.id;
      this.settleLabel(image, file.folderClass);
    }

    if (existingFile) {
      this.stmt.repointFile.run(imageId, file.size, file.mtimeMs, file.folderClass, this.now, existingFile.id);
    } else {
      this.stmt.insertFile.run(file.path, imageId, file.size, file.mtimeMs, file.folderClass, this.now);
    }
    return newImage ? 'added-new-image' : 'added';
  }

  /** A new file of a known image: label it from its folder, or flag the disagreement. */
  private settleLabel(image: { id: number; class_id: number | null; conflict: number }, folderClass: string | null): void {
    if (!folderClass) return;
    const current = image.class_id === null ? undefined : (this.stmt.className.get(image.class_id) as string | undefined);
    if (current === undefined && !image.conflict) {
      this.stmt.setClass.run(ensureClass(this.db, folderClass, this.now), image.id);
      return;
    }
    if (current === undefined || current.toLowerCase() !== folderClass.toLowerCase()) {
      this.stmt.setConflict.run(image.id);
    }
  }

  /**
   * Removes images no file points at any more (every path that held their bytes now
   * holds other bytes). Images whose files are merely missing are kept, labels and all.
   */
  removeOrphans(): number {
    return this.db.prepare(`DELETE FROM images WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.image_id = images.id)`).run().changes;
  }

  /** Files under the folder that were not found by the last scan. */
  missingUnder(root: string): number {
    const [from, to] = pathRange(root);
    return (this.db.prepare(`SELECT COUNT(*) FROM files WHERE path >= ? AND path < ? AND missing = 1`).pluck().get(from, to) as number);
  }

  /**
   * Files under the folder holding the same bytes as an earlier-recorded file (anywhere
   * in the project), for images that are not label conflicts (those are reported whole).
   */
  duplicatesUnder(root: string): DuplicateReport[] {
    const [from, to] = pathRange(root);
    return this.db
      .prepare(
        `WITH firsts AS (
           SELECT image_id, MIN(id) AS first_id FROM files WHERE missing = 0 GROUP BY image_id HAVING COUNT(*) > 1
         )
         SELECT f.path AS path, g.path AS sameAs
         FROM files f
         JOIN firsts ON firsts.image_id = f.image_id
         JOIN files g ON g.id = firsts.first_id
         JOIN images i ON i.id = f.image_id
         WHERE f.missing = 0 AND f.id != firsts.first_id AND i.conflict = 0 AND f.path >= ? AND f.path < ?
         ORDER BY f.path`,
      )
      .all(from, to) as DuplicateReport[];
  }

  /** Unresolved label conflicts that involve a file under the folder. */
  conflictsUnder(root: string): ConflictReport[] {
    const [from, to] = pathRange(root);
    const images = this.db
      .prepare(
        `SELECT DISTINCT i.id, i.hash FROM images i JOIN files f ON f.image_id = i.id
         WHERE i.conflict = 1 AND f.missing = 0 AND f.path >= ? AND f.path < ? ORDER BY i.id`,
      )
      .all(from, to) as Array<{ id: number; hash: string }>;
    const pathsOf = this.db.prepare(`SELECT path FROM files WHERE image_id = ? AND missing = 0 ORDER BY path`).pluck();
    return images.map((img) => ({ hash: img.hash, paths: pathsOf.all(img.id) as string[], labels: conflictLabels(this.db, img.id) }));
  }
}

/** [from, to) bounds of every path strictly inside a folder, for a range scan on the path index. */
export function pathRange(root: string): [string, string] {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const last = prefix.charCodeAt(prefix.length - 1);
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(last + 1)];
}
