import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { filePathsOf, getImage, listImages, readThumbnail } from '../../main/engine/catalogue/images';
import { renderPreviewTask } from '../../main/engine/images/render-preview';
import type { Db } from '../../main/engine/catalogue/open';
import { openProject } from '../../main/engine/catalogue/open';
import { importFolder } from '../../main/engine/importer';
import type { ImportSummary } from '../../shared/types';
import * as fx from '../helpers/image-fixtures';
import { tempDir } from '../helpers/paths';

/**
 * A folder holding every kind of file a real photo folder can hold: the images must
 * all come in (orientation applied, colours right), the broken files must be skipped
 * one by one with a reason, and nothing else may stop the import.
 */
describe('importing real and broken image files', () => {
  const tmp = tempDir('graft-import-odd-');
  const folder = path.join(tmp.dir, 'photos');
  let db: Db;
  let summary: ImportSummary;
  const at = (...parts: string[]) => path.join(folder, ...parts);

  const good: Record<string, () => Promise<Buffer> | Buffer> = {
    'mixed/alpha.png': () => fx.pngWithAlpha(),
    'mixed/cmyk.jpg': () => fx.cmykJpeg(),
    'mixed/deep.png': () => fx.png16(),
    'mixed/grey.jpg': () => fx.grayJpeg(),
    'mixed/rotated.jpg': () => fx.exifRotatedJpeg(),
    'mixed/anim.gif': () => fx.animatedGif(),
    'mixed/photo.webp': () => fx.webp(),
    'mixed/scan.tiff': () => fx.tiff(),
    'mixed/paint.bmp': () => fx.bmp24(12, 8, (x) => (x < 6 ? [250, 0, 0] : [0, 0, 250]), { gap: 6 }),
    'mixed/UPPER.JPG': () => fx.jpeg(33, 21),
    // A JPEG that was saved with the wrong extension still imports: bytes decide.
    'mixed/really-a-jpeg.png': () => fx.jpeg(31, 17),
    'root-level.jpg': () => fx.jpeg(40, 40),
  };
  const broken: Record<string, { make: () => Promise<Buffer> | Buffer; reason: RegExp }> = {
    'mixed/truncated.jpg': { make: () => fx.truncatedJpeg(), reason: /truncated/ },
    'mixed/empty.jpg': { make: () => Buffer.alloc(0), reason: /empty file/ },
    'mixed/notes.png': { make: () => Buffer.from('These are my notes, not a picture.\n'), reason: /not an image/ },
    'mixed/half.bmp': { make: () => fx.bmp24(64, 64, () => [1, 2, 3]).subarray(0, 2000), reason: /truncated/ },
  };

  before(async () => {
    for (const [name, make] of Object.entries({ ...good, ...Object.fromEntries(Object.entries(broken).map(([k, v]) => [k, v.make])) })) {
      fs.mkdirSync(path.dirname(at(name)), { recursive: true });
      fs.writeFileSync(at(name), await make());
    }
    // Not candidates at all: no image extension, or hidden.
    fs.writeFileSync(at('mixed', 'README.txt'), 'hello');
    fs.writeFileSync(at('mixed', '._alpha.png'), 'AppleDouble resource fork');
    db = openProject(path.join(tmp.dir, 'odd.graft'));
    summary = await importFolder(db, folder);
  });
  after(() => {
    db?.close();
    tmp.cleanup();
  });

  it('imports every real image and skips each broken file with its reason', () => {
    assert.equal(summary.files, Object.keys(good).length + Object.keys(broken).length);
    assert.equal(summary.added, Object.keys(good).length);
    assert.equal(summary.newImages, Object.keys(good).length);
    assert.deepEqual(summary.skipped.map((s) => s.path).sort(), Object.keys(broken).map((k) => at(k)).sort());
    for (const s of summary.skipped) {
      const expected = broken[path.relative(folder, s.path).split(path.sep).join('/')];
      assert.match(s.reason, expected.reason, `${s.path}: ${s.reason}`);
    }
    assert.deepEqual(summary.classes, { mixed: Object.keys(good).length - 1 });
    assert.equal(summary.unlabelled, 1, 'the image directly in the folder comes in unlabelled');
    assert.equal(summary.cancelled, false);
  });

  function imageOf(name: string) {
    const { images } = listImages(db, { search: name }, { limit: 10 });
    const img = images.find((i) => i.path === at(name));
    assert.ok(img, `${name} is in the catalogue`);
    return img!;
  }

  it('records formats and sizes after EXIF orientation', () => {
    const expect: Record<string, [string, number, number]> = {
      'mixed/alpha.png': ['png', 40, 20],
      'mixed/cmyk.jpg': ['jpeg', 50, 30],
      'mixed/deep.png': ['png', 30, 30],
      'mixed/grey.jpg': ['jpeg', 36, 36],
      'mixed/rotated.jpg': ['jpeg', 200, 300],
      'mixed/anim.gif': ['gif', 20, 10],
      'mixed/photo.webp': ['webp', 40, 30],
      'mixed/scan.tiff': ['tiff', 40, 30],
      'mixed/paint.bmp': ['bmp', 12, 8],
      'mixed/really-a-jpeg.png': ['jpeg', 31, 17],
    };
    for (const [name, [format, width, height]] of Object.entries(expect)) {
      const img = imageOf(name);
      assert.deepEqual([img.format, img.width, img.height], [format, width, height], name);
    }
  });

  it('stores thumbnails as upright sRGB JPEGs with transparency on white', async () => {
    const rotated = imageOf('mixed/rotated.jpg');
    const thumb = readThumbnail(db, rotated.id);
    const meta = await sharp(thumb).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.space], ['jpeg', 171, 256, 'srgb']);
    // Stored landscape with red on the left; upright, red is on top.
    const top = await fx.meanColour(thumb, { left: 0, top: 0, width: 171, height: 100 });
    const bottom = await fx.meanColour(thumb, { left: 0, top: 156, width: 171, height: 100 });
    assert.ok(top[0] > 180 && top[2] < 60, `top is red: ${top}`);
    assert.ok(bottom[2] > 180 && bottom[0] < 60, `bottom is blue: ${bottom}`);

    const alpha = readThumbnail(db, imageOf('mixed/alpha.png').id);
    assert.deepEqual(await fx.meanColour(alpha, { left: 32, top: 0, width: 8, height: 20 }).then((c) => c.map((v) => v > 245)), [true, true, true]);

    // CMYK comes out in the colour it was made from (30, 90, 200), within profile round-trip error.
    const cmyk = await fx.meanColour(readThumbnail(db, imageOf('mixed/cmyk.jpg').id));
    [30, 90, 200].forEach((v, i) => assert.ok(Math.abs(cmyk[i] - v) < 45, `CMYK colour ${cmyk} near 30,90,200`));

    // The animated GIF's first frame is green; the second (dark) is not used.
    const gif = await fx.meanColour(readThumbnail(db, imageOf('mixed/anim.gif').id));
    assert.ok(gif[1] > 170 && gif[0] < 40, `first GIF frame: ${gif}`);

    const bmp = readThumbnail(db, imageOf('mixed/paint.bmp').id);
    const left = await fx.meanColour(bmp, { left: 0, top: 0, width: 4, height: 8 });
    assert.ok(left[0] > 200 && left[2] < 60, `BMP left half red despite the header gap: ${left}`);

    for (const name of ['mixed/grey.jpg', 'mixed/deep.png', 'mixed/scan.tiff', 'mixed/photo.webp']) {
      const m = await sharp(readThumbnail(db, imageOf(name).id)).metadata();
      assert.deepEqual([m.format, m.channels, m.depth], ['jpeg', 3, 'uchar'], name);
    }
  });

  it('renders the large preview from the file, upright, and says so when the file is gone', async () => {
    const rotated = imageOf('mixed/rotated.jpg');
    const render = (id: number, longSide = 2048) => renderPreviewTask({ paths: filePathsOf(db, id), longSide });
    const preview = await sharp(await render(rotated.id)).metadata();
    assert.deepEqual([preview.format, preview.width, preview.height], ['jpeg', 200, 300]);
    const small = await sharp(await render(rotated.id, 64)).metadata();
    assert.deepEqual([small.width, small.height], [43, 64]);

    const grey = imageOf('mixed/grey.jpg');
    fs.rmSync(grey.path);
    await assert.rejects(render(grey.id), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'not_found');
      assert.match(err.message, /missing.*grey\.jpg.*label is kept/);
      return true;
    });
    assert.throws(() => getImage(db, 999_999), /no image with id 999999/);
  });
});
