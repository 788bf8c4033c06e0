/**
 * Puts image files into a project's catalogue directly (content hash, size, one file row
 * each), for tests and benchmarks of the layers above the importer. Identical bytes share
 * one image row, as the importer does. Not a substitute for `graft import`: no thumbnails
 * (an empty blob), no labels beyond the folder name, no format checks.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../../main/engine/catalogue/open';

/** Every file under `dir` whose name looks like an image, sorted. */
export function listImageFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(jpe?g|png|webp|gif|tiff?|bmp)$/i.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Adds the files; returns image id per path. */
export function addFilesToCatalogue(db: Db, files: string[]): Map<string, number> {
  const now = Date.now();
  const findImage = db.prepare('SELECT id FROM images WHERE hash = ?');
  const addImage = db.prepare(
    "INSERT INTO images (hash, bytes, width, height, format, thumbnail, imported_at) VALUES (?, ?, 0, 0, 'jpeg', x'', ?)",
  );
  const addFile = db.prepare(
    'INSERT OR IGNORE INTO files (path, image_id, size, mtime_ms, folder_class, imported_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const ids = new Map<string, number>();
  db.transaction(() => {
    for (const f of files) {
      const bytes = fs.readFileSync(f);
      const hash = createHash('sha256').update(bytes).digest('hex');
      const found = findImage.get(hash) as { id: number } | undefined;
      const id = found ? found.id : Number(addImage.run(hash, bytes.length, now).lastInsertRowid);
      const st = fs.statSync(f);
      addFile.run(path.resolve(f), id, st.size, Math.floor(st.mtimeMs), path.basename(path.dirname(f)), now);
      ids.set(f, id);
    }
  })();
  return ids;
}
