/**
 * A new photo decoded once for its thumbnail and the networks (tf/import-decode.ts) must give
 * the very bytes each would get alone: the thumbnail `thumbnailFromBytes` makes and the input
 * `decodeForNetwork` makes, or a code would depend on whether it was computed during the
 * import. Real photos (flowers-mini: some enlarged, some reduced at each size) and photos
 * made here for the routes that decode twice (rotated, grey, PNG, large).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { thumbnailFromBytes } from '../../main/engine/importer/decode';
import { readJpegHeader } from '../../main/engine/importer/jpeg-header';
import { thumbnailAndInputs } from '../../main/engine/tf/import-decode';
import { decodeForNetwork, sharesDecode } from '../../main/engine/tf/preprocess';
import { rgbAsTiff } from '../../main/engine/tf/raw-tiff';
import { flowersMiniDir } from '../helpers/paths';

function miniPhotos(): string[] {
  return fs
    .readdirSync(flowersMiniDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(flowersMiniDir, d.name)).map((f) => path.join(flowersMiniDir, d.name, f)))
    .sort();
}

/** A photo-like gradient with some texture, so that resampling has something to get wrong. */
function texture(width: number, height: number, channels: 1 | 3): Buffer {
  const raw = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) raw[(y * width + x) * channels + c] = (x * (c + 1) + y * 3 + ((x * y) % 17) * 5) & 255;
  return raw;
}

async function expectSameAsAlone(bytes: Buffer, sizes: number[], what: string): Promise<void> {
  const both = await thumbnailAndInputs(bytes, sizes);
  const alone = await thumbnailFromBytes(bytes);
  assert.deepEqual({ ...both.thumbnailed, thumbnail: undefined }, { ...alone, thumbnail: undefined }, `${what}: the same facts`);
  assert.ok(both.thumbnailed.thumbnail.equals(alone.thumbnail), `${what}: the same thumbnail`);
  assert.ok(both.inputs, `${what}: network inputs`);
  for (const [i, size] of sizes.entries()) {
    const expected = await decodeForNetwork(bytes, size);
    assert.ok(Buffer.from(both.inputs[i]).equals(Buffer.from(expected)), `${what}: the same input at ${size} px as decodeForNetwork`);
  }
}

describe('thumbnail and network inputs from one decode', () => {
  it('give every flowers-mini photo the thumbnail and inputs it gets alone, at 224 and 320 px', async () => {
    const photos = miniPhotos();
    assert.ok(photos.length >= 100, 'flowers-mini is there');
    let shared = 0;
    for (const file of photos) {
      const bytes = fs.readFileSync(file);
      const header = readJpegHeader(bytes);
      if (header && sharesDecode(header, 224) && sharesDecode(header, 320)) shared++;
      await expectSameAsAlone(bytes, [224, 320], path.basename(file));
    }
    // Most take the one-decode route; the test must cover it, not only the fallback.
    assert.ok(shared >= photos.length * 0.7, `${shared} of ${photos.length} photos decoded once`);
  });

  it('decode twice, to the same bytes, what one decode cannot give exactly', async () => {
    const colour = texture(700, 500, 3);
    const cases: Array<[string, Buffer]> = [
      ['rotated JPEG', await sharp(colour, { raw: { width: 700, height: 500, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer()],
      ['grey JPEG', await sharp(texture(400, 300, 1), { raw: { width: 400, height: 300, channels: 1 } }).toColourspace('b-w').jpeg().toBuffer()],
      ['PNG', await sharp(texture(300, 200, 3), { raw: { width: 300, height: 200, channels: 3 } }).png().toBuffer()],
      ['large JPEG (shrunk while decoding)', await sharp(texture(1400, 1000, 3), { raw: { width: 1400, height: 1000, channels: 3 } }).jpeg().toBuffer()],
    ];
    for (const [what, bytes] of cases) {
      const header = readJpegHeader(bytes);
      assert.ok(!header || !sharesDecode(header, 320), `${what} is decoded twice`);
      await expectSameAsAlone(bytes, [320], what);
    }
  });

  it('refuse a damaged photo as the importer does', async () => {
    const photo = fs.readFileSync(miniPhotos()[0]);
    const cut = photo.subarray(0, Math.floor(photo.length / 2));
    const alone = await thumbnailFromBytes(cut).then(
      () => null,
      (err: Error & { reason?: string }) => err.reason,
    );
    assert.ok(alone, 'the importer refuses the truncated photo');
    await assert.rejects(thumbnailAndInputs(cut, [320]), (err: Error & { reason?: string }) => err.reason === alone);
  });
});

describe('rgbAsTiff', () => {
  it('reads back as the same pixels', async () => {
    const rgb = texture(37, 23, 3);
    const { data, info } = await sharp(rgbAsTiff(rgb, 37, 23)).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [37, 23, 3]);
    assert.ok(data.equals(rgb));
  });

  it('refuses bytes that are not the size it is told', () => {
    assert.throws(() => rgbAsTiff(new Uint8Array(10), 2, 2), /not 2×2 RGB/);
  });
});
