/**
 * The codes cache in the catalogue: one little-endian float32 vector per
 * (image content, backbone, view). Keyed by image (content hash), not by path, so a
 * renamed or moved file keeps its codes; views are 'center' and 'flip' (the mirrored
 * image, for augmentation).
 */
import type { View } from '../../../shared/api/codes';
import type { Db } from './open';
import { PRESENT_FILE } from './rules';

export interface CodeRow {
  imageId: number;
  backbone: string;
  view: View;
  data: Float32Array;
}

/** Writes codes in one transaction (replacing any older vector for the same key). */
export function writeCodes(db: Db, rows: readonly CodeRow[]): void {
  if (!rows.length) return;
  const insert = db.prepare('INSERT OR REPLACE INTO codes (image_id, backbone, view, dim, data) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const r of rows) insert.run(r.imageId, r.backbone, r.view, r.data.length, toBlob(r.data));
  })();
}

/**
 * The codes of one backbone and view, by image id: all of them, or only `imageIds`
 * (ids without a code are simply absent from the map; the map's order is not the ids').
 */
export function readCodes(db: Db, backbone: string, view: View = 'center', imageIds?: readonly number[]): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  // One scan beats a lookup per id once the ids are a good share of the project (a training
  // run's 1,802 flowers: 15-57 ms against 89-159).
  if (imageIds && imageIds.length * 2 < (db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n) {
    const one = db.prepare('SELECT data, dim FROM codes WHERE image_id = ? AND backbone = ? AND view = ?');
    for (const id of imageIds) {
      const row = one.get(id, backbone, view) as { data: Buffer; dim: number } | undefined;
      const v = row && fromBlob(row.data, row.dim);
      if (v) out.set(id, v);
    }
    return out;
  }
  const all = db.prepare('SELECT image_id AS id, data, dim FROM codes WHERE backbone = ? AND view = ? ORDER BY image_id');
  const wanted = imageIds && new Set(imageIds);
  for (const row of all.iterate(backbone, view) as Iterable<{ id: number; data: Buffer; dim: number }>) {
    if (wanted && !wanted.has(row.id)) continue;
    const v = fromBlob(row.data, row.dim);
    if (v) out.set(row.id, v);
  }
  return out;
}

/**
 * The codes of `imageIds`, in that order, as one row-major matrix (ready for
 * `tf.tensor2d(data, [ids.length, dim])`). Ids without a code are listed in `missing`
 * and left out of the matrix, so `ids` is the order of its rows.
 */
export function readCodeMatrix(
  db: Db,
  backbone: string,
  view: View,
  imageIds: readonly number[],
): { ids: number[]; dim: number; data: Float32Array; missing: number[] } {
  const map = readCodes(db, backbone, view, imageIds);
  const ids = imageIds.filter((id) => map.has(id));
  const missing = imageIds.filter((id) => !map.has(id));
  const dim = ids.length ? map.get(ids[0])!.length : 0;
  const data = new Float32Array(ids.length * dim);
  ids.forEach((id, i) => data.set(map.get(id)!, i * dim));
  return { ids, dim, data, missing };
}

/** How many codes exist for a backbone (and view), or in total. */
export function countCodes(db: Db, backbone?: string, view?: View): number {
  const where: string[] = [];
  const args: string[] = [];
  if (backbone) {
    where.push('backbone = ?');
    args.push(backbone);
  }
  if (view) {
    where.push('view = ?');
    args.push(view);
  }
  const sql = `SELECT COUNT(*) AS n FROM codes${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
  return (db.prepare(sql).get(...args) as { n: number }).n;
}

/** Per backbone and view: how many codes are cached. */
export function codeCounts(db: Db): Array<{ backbone: string; view: View; count: number; dim: number }> {
  return db
    .prepare('SELECT backbone, view, COUNT(*) AS count, MAX(dim) AS dim FROM codes GROUP BY backbone, view ORDER BY backbone, view')
    .all() as Array<{ backbone: string; view: View; count: number; dim: number }>;
}

/** Drops a backbone's cached codes (e.g. after its weights changed). Returns how many. */
export function deleteCodes(db: Db, backbone: string): number {
  return db.prepare('DELETE FROM codes WHERE backbone = ?').run(backbone).changes;
}

function toBlob(v: Float32Array): Buffer {
  // Float32Array is platform-endian; every platform Graft ships on is little-endian.
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function fromBlob(b: Buffer, dim: number): Float32Array | null {
  if (!b || b.length !== dim * 4) return null; // a damaged row is treated as missing, so it is recomputed
  // SQLite's buffer need not be 4-byte aligned: copy into a fresh one.
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

/** An image whose codes are missing for some views: its present files, tried in order. */
export interface MissingCodes {
  imageId: number;
  paths: string[];
  views: View[];
}

/** Images with a present file that lack at least one of `views` for this backbone. */
export function listMissing(db: Db, backbone: string, views: View[], imageIds?: number[]): { todo: MissingCodes[]; cached: number } {
  // Two flat scans joined here: the same query with a correlated subquery per image took
  // 70–180 ms for the 1,806 flowers, on the thread that answers the window; these take 5.
  const files = db.prepare(`SELECT f.image_id AS imageId, f.path FROM files f WHERE ${PRESENT_FILE} ORDER BY f.image_id, f.id`).all() as Array<{ imageId: number; path: string }>;
  const have = new Map<number, Set<string>>();
  const codes = db.prepare('SELECT image_id AS imageId, view FROM codes WHERE backbone = ? AND length(data) = dim * 4').all(backbone) as Array<{ imageId: number; view: string }>;
  for (const c of codes) {
    const set = have.get(c.imageId) ?? new Set<string>();
    set.add(c.view);
    have.set(c.imageId, set);
  }
  const only = imageIds ? new Set(imageIds) : null;
  const todo: MissingCodes[] = [];
  let cached = 0;
  for (let i = 0; i < files.length; ) {
    const imageId = files[i].imageId;
    const paths: string[] = [];
    for (; i < files.length && files[i].imageId === imageId; i++) paths.push(files[i].path);
    if (only && !only.has(imageId)) continue;
    const got = have.get(imageId);
    const missing = views.filter((v) => !got?.has(v));
    cached += views.length - missing.length;
    if (missing.length) todo.push({ imageId, paths, views: missing });
  }
  return { todo, cached };
}


/** Codes of one backbone and view, by image id (images without cached codes are absent). */
export type CodeReader = (backbone: string, view: View, imageIds: number[]) => Map<number, Float32Array>;

/** The catalogue's codes as a reader for feature tables (model/features.ts). */
export function codeReaderOf(db: Db): CodeReader {
  return (backbone, view, imageIds) => readCodes(db, backbone, view, imageIds);
}

/** Of `imageIds`, those with a whole cached code for every backbone and view (in input order). */
export function imagesWithCodes(db: Db, backbones: string[], views: View[], imageIds: number[]): number[] {
  const wanted = backbones.length * views.length;
  const counts = new Map<number, number>();
  const rows = db
    .prepare(
      `SELECT image_id AS id, COUNT(*) AS n FROM codes
        WHERE backbone IN (SELECT value FROM json_each(?)) AND view IN (SELECT value FROM json_each(?)) AND length(data) = dim * 4
        GROUP BY image_id`,
    )
    .all(JSON.stringify(backbones), JSON.stringify(views)) as Array<{ id: number; n: number }>;
  for (const r of rows) counts.set(r.id, r.n);
  return imageIds.filter((id) => counts.get(id) === wanted);
}
