/**
 * A large project made in seconds: rows written straight into a fresh catalogue, with
 * real thumbnails (made from flowers-mini photos) reused across many images. Importing
 * 10,000 files would measure the importer; this measures the studio opening a big
 * catalogue.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { openProject } from '../../main/engine/catalogue/open';
import { CLASS_COLORS } from '../../shared/class-names';

export interface SyntheticProject {
  images: number;
  classes: string[];
  /** Distinct thumbnails reused across the images. */
  distinctThumbnails: number;
  seconds: number;
}

/** Every 13th image is left unlabelled, so the Unlabelled collection is not empty. */
const UNLABELLED_EVERY = 13;

export async function makeSyntheticProject(projectFile: string, photosDir: string, count: number): Promise<SyntheticProject> {
  const started = Date.now();
  const classes = fs
    .readdirSync(photosDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const photos = classes.flatMap((c) =>
    fs
      .readdirSync(path.join(photosDir, c))
      .filter((f) => /\.jpe?g$/i.test(f))
      .slice(0, 6)
      .map((f) => ({ cls: c, file: path.join(photosDir, c, f) })),
  );
  const thumbnails = await Promise.all(
    photos.map(async (p) => {
      const { data, info } = await sharp(p.file)
        .rotate()
        .resize(256, 256, { fit: 'inside' })
        .jpeg({ quality: 80 })
        .toBuffer({ resolveWithObject: true });
      return { cls: p.cls, data, width: info.width, height: info.height };
    }),
  );

  const db = openProject(projectFile);
  try {
    const now = Date.now();
    const insertClass = db.prepare(`INSERT INTO classes (name, color, position, created_at) VALUES (?, ?, ?, ?)`);
    const classIds = new Map<string, number>();
    classes.forEach((name, i) => classIds.set(name, Number(insertClass.run(name, CLASS_COLORS[i % CLASS_COLORS.length], i, now).lastInsertRowid)));

    const insertImage = db.prepare(
      `INSERT INTO images (hash, bytes, width, height, format, thumbnail, class_id, conflict, imported_at)
       VALUES (?, ?, ?, ?, 'jpeg', ?, ?, 0, ?)`,
    );
    const insertFile = db.prepare(
      `INSERT INTO files (path, image_id, size, mtime_ms, folder_class, missing, imported_at) VALUES (?, ?, ?, ?, ?, 0, ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const thumb = thumbnails[i % thumbnails.length];
        const hash = crypto.createHash('sha256').update(`synthetic-${i}`).digest('hex');
        const bytes = 40_000 + ((i * 7919) % 160_000);
        const classId = i % UNLABELLED_EVERY === 0 ? null : classIds.get(thumb.cls)!;
        const imageId = Number(
          insertImage.run(hash, bytes, thumb.width * 4, thumb.height * 4, thumb.data, classId, now + i).lastInsertRowid,
        );
        const folder = classId === null ? null : thumb.cls;
        const file = path.join('/photos', folder ?? 'inbox', `img_${String(i).padStart(5, '0')}.jpg`);
        insertFile.run(file, imageId, bytes, now, folder, now + i);
      }
    })();
  } finally {
    db.close();
  }
  return { images: count, classes, distinctThumbnails: thumbnails.length, seconds: (Date.now() - started) / 1000 };
}
