import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../../main/engine/catalogue/open';
import { openProject } from '../../main/engine/catalogue/open';
import { importFolder } from '../../main/engine/importer';
import type { ImportSummary } from '../../shared/types';
import * as fx from '../helpers/image-fixtures';
import { tempDir } from '../helpers/paths';

/**
 * Things that make naive importers hang, recurse forever or run out of memory:
 * a symlink back to a parent folder, a link to itself, a named pipe called `.jpg`
 * (reading it would wait forever), a dangling link, files that cannot be read, a
 * ~110 kB PNG that declares 30,000×30,000 pixels, a 1 KB RLE8 BMP and a small JPEG whose
 * headers declare 14,000×14,000 (decoded, each would be 600 MB of blank pixels). Each is
 * reported and skipped; the real images around them import.
 */
describe('importing a hostile folder', () => {
  const tmp = tempDir('graft-import-hostile-');
  const folder = path.join(tmp.dir, 'photos');
  const at = (...parts: string[]) => path.join(folder, ...parts);
  const isRoot = process.getuid?.() === 0;
  const hasProcMem = fs.existsSync('/proc/self/mem');
  let db: Db;
  let summary: ImportSummary;
  let peakRssGrowth = 0;

  before(async () => {
    fs.mkdirSync(at('cats', 'deeper'), { recursive: true });
    fs.mkdirSync(at('dogs'), { recursive: true });
    fs.writeFileSync(at('cats', 'tabby.jpg'), await fx.jpeg(80, 60));
    fs.writeFileSync(at('cats', 'deeper', 'kitten.png'), await fx.pngWithAlpha(30, 30));
    fs.writeFileSync(at('dogs', 'beagle.jpg'), await fx.jpeg(70, 50));
    fs.writeFileSync(at('dogs', 'bomb.png'), await fx.pngBomb());
    fs.writeFileSync(at('dogs', 'bomb.bmp'), fx.rle8BmpBomb());
    fs.writeFileSync(at('cats', 'patched.jpg'), await fx.jpegDeclaring());
    // Loops: a folder link back to an ancestor, and a file link to itself.
    fs.symlinkSync('..', at('cats', 'deeper', 'back-up'));
    fs.symlinkSync('self.jpg', at('dogs', 'self.jpg'));
    // Unreadable: a named pipe, a dangling link, and a file whose read fails (root can
    // read any file, so for root: /proc/self/mem, which fails with EIO at offset 0).
    execFileSync('mkfifo', [at('dogs', 'pipe.jpg')]);
    fs.symlinkSync(path.join(tmp.dir, 'nowhere.jpg'), at('dogs', 'dangling.jpg'));
    if (hasProcMem) fs.symlinkSync('/proc/self/mem', at('dogs', 'io-error.jpg'));
    if (!isRoot) {
      fs.writeFileSync(at('dogs', 'private.jpg'), await fx.jpeg(20, 20));
      fs.chmodSync(at('dogs', 'private.jpg'), 0o000);
    }

    db = openProject(path.join(tmp.dir, 'hostile.graft'));
    const baseline = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRssGrowth = Math.max(peakRssGrowth, process.memoryUsage().rss - baseline);
    }, 5);
    try {
      summary = await importFolder(db, folder);
    } finally {
      clearInterval(sampler);
    }
  });
  after(() => {
    db?.close();
    tmp.cleanup();
  });

  it('imports the real images around the hostile entries', () => {
    assert.equal(summary.added, 3);
    assert.deepEqual(summary.classes, { cats: 2, dogs: 1 });
  });

  it('reports each hostile entry with a reason', () => {
    const reasons = new Map(summary.skipped.map((s) => [path.relative(folder, s.path), s.reason]));
    assert.match(reasons.get(path.join('cats', 'deeper', 'back-up')) ?? '', /symbolic link loop: it leads back to/);
    assert.match(reasons.get(path.join('dogs', 'self.jpg')) ?? '', /symbolic link loop/);
    assert.match(reasons.get(path.join('dogs', 'pipe.jpg')) ?? '', /not a regular file \(a named pipe\)/);
    assert.match(reasons.get(path.join('dogs', 'dangling.jpg')) ?? '', /broken symbolic link/);
    assert.match(reasons.get(path.join('dogs', 'bomb.png')) ?? '', /30000×30000 pixels .* over the 200-megapixel limit/);
    assert.match(reasons.get(path.join('dogs', 'bomb.bmp')) ?? '', /declares 14000×14000 pixels in 1,080 bytes, far more than its data can hold/);
    assert.match(reasons.get(path.join('cats', 'patched.jpg')) ?? '', /declares 14000×14000 pixels in [\d,]+ bytes, far more than its data can hold/);
    if (hasProcMem) assert.match(reasons.get(path.join('dogs', 'io-error.jpg')) ?? '', /cannot read: input\/output error/);
    if (!isRoot) assert.match(reasons.get(path.join('dogs', 'private.jpg')) ?? '', /cannot read: permission denied/);
    const expected = 7 + (hasProcMem ? 1 : 0) + (isRoot ? 0 : 1);
    assert.equal(summary.skipped.length, expected, JSON.stringify(summary.skipped, null, 1));
  });

  it('never decodes the bombs', () => {
    // 900 megapixels would take gigabytes; the header checks refuse them first.
    assert.ok(peakRssGrowth < 300 * 2 ** 20, `memory grew by ${(peakRssGrowth / 2 ** 20).toFixed(0)} MiB`);
  });

  it('imports again without change, hostile entries still reported', async () => {
    const again = await importFolder(db, folder);
    assert.equal(again.added, 0);
    assert.equal(again.unchanged, 3);
    assert.equal(again.missing, 0, 'unreadable files are present, not missing');
    assert.equal(again.skipped.length, summary.skipped.length);
  });
});
