import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { GraftError } from '../../main/engine/errors';
import { decodeForNetwork, mirrorRows, preprocess, toNetworkRange } from '../../main/engine/tf/preprocess';

/** A width×height RGB image whose left half is red and right half blue. */
async function halves(width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (x < width / 2) raw[o] = 255;
      else raw[o + 2] = 255;
    }
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 95 }).toBuffer();
}

const px = (rgb: Uint8Array, size: number, x: number, y: number) => Array.from(rgb.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));

describe('preprocess (the one function for extraction, prediction and export)', () => {
  it('center-crops to a square and resizes to the input size', async () => {
    // 300×100: the center square is x 100..200, which is half red, half blue.
    const rgb = await decodeForNetwork(await halves(300, 100), 32);
    assert.equal(rgb.length, 32 * 32 * 3);
    assert.deepEqual(px(rgb, 32, 2, 16), [255, 0, 0]);
    assert.deepEqual(px(rgb, 32, 29, 16), [0, 0, 255]);
  });

  it('mirrors left and right for the flip view', async () => {
    const img = await halves(64, 64);
    const flipped = await decodeForNetwork(img, 16, { flip: true });
    assert.deepEqual(px(flipped, 16, 1, 8), [0, 0, 255]);
    assert.deepEqual(px(flipped, 16, 14, 8), [255, 0, 0]);
    const plain = await decodeForNetwork(img, 16);
    mirrorRows(plain, 16);
    assert.deepEqual(Array.from(plain), Array.from(flipped));
  });

  it('scales bytes onto the network range', () => {
    const out = toNetworkRange(new Uint8Array([0, 255, 127.5 as unknown as number]), [-1, 1]);
    assert.equal(out[0], -1);
    assert.equal(out[1], 1);
    const unit = toNetworkRange(new Uint8Array([0, 51, 255]), [0, 1]);
    assert.ok(Math.abs(unit[1] - 0.2) < 1e-6);
  });

  it('flattens transparency onto white and drops the alpha channel', async () => {
    const transparent = await sharp({ create: { width: 20, height: 20, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const values = await preprocess(transparent, { inputSize: 8, inputRange: [0, 1] });
    assert.equal(values.length, 8 * 8 * 3);
    assert.ok(values.every((v) => v > 0.99), 'transparent pixels become white');
  });

  it('applies EXIF orientation', async () => {
    // Stored 100×50 (red left, blue right) with orientation 6 (rotate 90° clockwise): upright
    // it is 50×100 with red on top, so after the center crop the top rows are red.
    const stored = await sharp(await halves(100, 50)).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
    const rgb = await decodeForNetwork(stored, 16);
    const top = px(rgb, 16, 8, 1);
    const bottom = px(rgb, 16, 8, 14);
    assert.ok(top[0] > 200 && top[2] < 60, `top ${top}`);
    assert.ok(bottom[2] > 200 && bottom[0] < 60, `bottom ${bottom}`);
  });

  it('reads CMYK JPEGs as RGB', async () => {
    const cmyk = await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 255, g: 0, b: 0 } } }).toColourspace('cmyk').jpeg().toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
    const rgb = await decodeForNetwork(cmyk, 8);
    const [r, g, b] = px(rgb, 8, 4, 4);
    assert.ok(r > 200 && g < 80 && b < 80, `got ${r},${g},${b}`);
  });

  it('rejects a truncated JPEG and a non-image with a reason', async () => {
    const jpeg = await halves(200, 200, 'jpeg');
    await assert.rejects(decodeForNetwork(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 16), (e: unknown) => e instanceof GraftError && e.code === 'bad_image');
    // Smaller than the input: decoded alone, then enlarged (cover-enlarge.ts); refused all the same.
    await assert.rejects(decodeForNetwork(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 320), (e: unknown) => e instanceof GraftError && e.code === 'bad_image');
    await assert.rejects(decodeForNetwork(Buffer.from('not an image at all'), 16), (e: unknown) => e instanceof GraftError && /not an image|could not be decoded/.test(e.message));
    await assert.rejects(decodeForNetwork('/nonexistent/photo.jpg', 16), (e: unknown) => e instanceof GraftError && /missing/.test(e.message));
  });
});
