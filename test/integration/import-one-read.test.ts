import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../../main/engine/catalogue/open';
import { openProject } from '../../main/engine/catalogue/open';
import { importFolder } from '../../main/engine/importer';
import { hashFile, hashAndThumbnailFile, thumbnailFile } from '../../main/engine/importer/prepare-file';
import type { WorkerPool } from '../../main/engine/workers/worker-pool';
import * as fx from '../helpers/image-fixtures';
import { tempDir } from '../helpers/paths';

/**
 * The importer reads, hashes and decodes a file in one task when no image has its size
 * (its bytes must be new), and hashes first otherwise, so that known bytes are never decoded.
 * Two BMPs of one size but different colours, and an identical copy of one of them, check
 * that the size only chooses the route: the hash still decides what is new.
 */
describe('importing with one read where the bytes must be new', () => {
  const tmp = tempDir('graft-import-one-read-');
  const folder = path.join(tmp.dir, 'photos');
  let db: Db;
  const counts = new Map<string, number>();
  const count = (task: string) => counts.get(task) ?? 0;

  /** The importer's worker tasks, run on this thread and counted by name. */
  const workers = {
    run: (task: 'hash-file' | 'thumbnail-file' | 'hash-and-thumbnail-file', input: { path: string; hash: string }) => {
      counts.set(task, count(task) + 1);
      return task === 'hash-file' ? hashFile(input) : task === 'thumbnail-file' ? thumbnailFile(input) : hashAndThumbnailFile(input);
    },
  } as unknown as WorkerPool;

  before(async () => {
    const red = fx.bmp24(16, 16, () => [220, 20, 20]);
    const blue = fx.bmp24(16, 16, () => [20, 20, 220]);
    assert.equal(red.length, blue.length);
    for (const [file, bytes] of [
      ['red/r.bmp', red],
      ['red/r-copy.bmp', red],
      ['blue/b.bmp', blue],
      ['green/g.jpg', await fx.jpeg(64, 48)],
    ] as const) {
      fs.mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
      fs.writeFileSync(path.join(folder, file), bytes);
    }
    db = openProject(path.join(tmp.dir, 'one-read.graft'));
  });
  after(() => {
    db?.close();
    tmp.cleanup();
  });

  it('decodes each new image once, whichever route its file took', async () => {
    const s = await importFolder(db, folder, { workers, concurrency: 4 });
    assert.deepEqual([s.added, s.newImages, s.duplicates.length, s.skipped.length], [4, 3, 1, 0]);
    // One file of each size in one read; the other two BMPs hashed first, and one of them decoded.
    assert.deepEqual([count('hash-and-thumbnail-file'), count('hash-file'), count('thumbnail-file')], [2, 2, 1]);
    const colours = new Map<number, [number, number, number]>();
    for (const row of db.prepare(`SELECT class_id, thumbnail FROM images`).all() as Array<{ class_id: number; thumbnail: Buffer }>) {
      colours.set(row.class_id, await fx.meanColour(row.thumbnail));
    }
    const classOf = (name: string) => (db.prepare(`SELECT id FROM classes WHERE name = ?`).pluck().get(name) as number);
    const [r, , b] = colours.get(classOf('red'))!;
    const [r2, , b2] = colours.get(classOf('blue'))!;
    assert.ok(r > 180 && b < 60, `red's thumbnail is red (${r}, ${b})`);
    assert.ok(b2 > 180 && r2 < 60, `blue's thumbnail is blue (${r2}, ${b2})`);
  });

  it('decodes identical new files once, even when they are read side by side', async () => {
    // A size no image has: the first file takes the one read, its copy is hashed meanwhile.
    const twins = path.join(tmp.dir, 'twins');
    const bytes = fx.bmp24(24, 24, () => [20, 200, 20]);
    for (const name of ['a.bmp', 'b.bmp']) {
      fs.mkdirSync(path.join(twins, 'green'), { recursive: true });
      fs.writeFileSync(path.join(twins, 'green', name), bytes);
    }
    counts.clear();
    const s = await importFolder(db, twins, { workers, concurrency: 4 });
    assert.deepEqual([s.added, s.newImages, s.duplicates.length], [2, 1, 1]);
    assert.deepEqual([count('hash-and-thumbnail-file'), count('hash-file'), count('thumbnail-file')], [1, 1, 0]);
  });

  it('decodes nothing when the same bytes come in from another folder', async () => {
    const copy = path.join(tmp.dir, 'copied');
    fs.cpSync(folder, copy, { recursive: true });
    counts.clear();
    const s = await importFolder(db, copy, { workers });
    assert.deepEqual([s.added, s.newImages], [4, 0]);
    assert.deepEqual([count('hash-and-thumbnail-file'), count('hash-file'), count('thumbnail-file')], [0, 4, 0]);
  });
});
