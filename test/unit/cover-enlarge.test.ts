import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { coverEnlarge, planCoverEnlarge } from '../../main/engine/tf/cover-enlarge';
import { decodeForNetwork } from '../../main/engine/tf/preprocess';
import { isSrgbProfile } from '../../main/engine/importer/icc';
import { readJpegHeader } from '../../main/engine/importer/jpeg-header';
import { flowersDir } from '../helpers/paths';

/** Deterministic noise: every pixel differs from its neighbours, so any misplaced sample shows. */
function noise(width: number, height: number, seed: number): Buffer {
  const out = Buffer.alloc(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

/** What sharp itself makes of the same pixels: the pipeline preprocessing used for every photo before. */
function viaSharp(rgb: Buffer, width: number, height: number, size: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } }).resize(size, size, { fit: 'cover', position: 'centre' }).raw().toBuffer();
}

/** A photo through sharp's whole pipeline, as preprocessing decoded every photo before. */
async function reference(bytes: Buffer, size: number): Promise<Buffer> {
  const meta = await sharp(bytes).metadata();
  return sharp(bytes, { failOn: 'truncated', ignoreIcc: isSrgbProfile(meta.icc) })
    .rotate()
    .toColourspace('srgb')
    .flatten({ background: '#ffffff' })
    .resize(size, size, { fit: 'cover', position: 'centre' })
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer();
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const i = a.findIndex((v, k) => v !== b[k]);
  return i < 0 ? 'none' : `byte ${i} (pixel ${Math.floor(i / 3)}): ${a[i]} against ${b[i]}`;
}

describe('cover-enlarge (libvips enlargement, reproduced)', () => {
  it('gives exactly the bytes sharp gives, for every kind of size that enlarges', async () => {
    const sizes: Array<[number, number]> = [[1, 1], [1, 2], [2, 1], [3, 5], [17, 300], [300, 17], [319, 319], [200, 240], [240, 200], [319, 2000], [2000, 319], [100, 100], [320, 213], [213, 320], [500, 313]];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    for (let i = 0; i < 30; i++) {
      const short = 1 + Math.floor(random() * 319);
      const long = short + Math.floor(random() * 700);
      sizes.push(random() < 0.5 ? [short, long] : [long, short]);
    }
    let compared = 0;
    for (const size of [320, 224, 299]) {
      for (const [width, height] of sizes) {
        if (Math.min(width, height) >= size) continue;
        const rgb = noise(width, height, width * 1000 + height);
        const ours = coverEnlarge(rgb, width, height, size);
        assert.ok(ours, `${width}×${height} → ${size} should have a plan`);
        const theirs = await viaSharp(rgb, width, height, size);
        assert.equal(Buffer.compare(Buffer.from(ours), theirs), 0, `${width}×${height} → ${size}: first difference at ${firstDifference(ours, theirs)}`);
        compared++;
      }
    }
    assert.ok(compared > 100, `compared ${compared} sizes`);
  });

  it('gives the same bytes whatever the number of libvips threads', async () => {
    const before = sharp.concurrency();
    try {
      sharp.concurrency(2);
      for (const [width, height] of [[240, 200], [319, 1500], [57, 91]] as const) {
        const rgb = noise(width, height, 3);
        assert.deepEqual(Buffer.from(coverEnlarge(rgb, width, height, 320)!), await viaSharp(rgb, width, height, 320), `${width}×${height}`);
      }
    } finally {
      sharp.concurrency(before);
    }
  });

  it('has no plan where sharp reduces or leaves the size', () => {
    assert.equal(planCoverEnlarge(320, 320, 320), null);
    assert.equal(planCoverEnlarge(320, 4000, 320), null);
    assert.equal(planCoverEnlarge(500, 333, 320), null);
    assert.notEqual(planCoverEnlarge(319, 4000, 320), null);
    assert.equal(coverEnlarge(noise(400, 400, 1), 400, 400, 320), null);
  });

  it('keeps every flower photo smaller than the input exactly as sharp decoded it', async () => {
    // The photos' own decode, colour handling included: the route through cover-enlarge
    // must not change one cached code.
    const files = fs
      .readdirSync(flowersDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .flatMap((e) => fs.readdirSync(path.join(flowersDir, e.name)).slice(0, 15).map((n) => path.join(flowersDir, e.name, n)));
    const small: Array<{ file: string; bytes: Buffer; reference: Buffer }> = [];
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      const header = readJpegHeader(bytes);
      assert.ok(header, file);
      const meta = await sharp(bytes).metadata();
      assert.deepEqual([header.width, header.height, header.components], [meta.width, meta.height, meta.channels], file);
      if (!planCoverEnlarge(header.width, header.height, 320)) continue;
      small.push({ file, bytes, reference: await reference(bytes, 320) });
    }
    assert.ok(small.length >= 30, `${small.length} of ${files.length} photos enlarged`);
    // Several at once, as codes are computed, and one at a time, as the prediction pane decodes.
    const together = await Promise.all(small.map((s) => decodeForNetwork(s.bytes, 320)));
    const alone: Uint8Array[] = [];
    for (const s of small.slice(0, 5)) alone.push(await decodeForNetwork(s.bytes, 320));
    for (const [decoded, how] of [[together, 'together'], [alone, 'alone']] as const) {
      decoded.forEach((d, i) => assert.equal(Buffer.compare(Buffer.from(d), small[i].reference), 0, `${path.basename(small[i].file)} (${how}): first difference at ${firstDifference(d, small[i].reference)}`));
    }
  });

  it('leaves the enlarging to libvips, with the same bytes and a warning, where its WebAssembly cannot load', async () => {
    const jpeg = await sharp(noise(120, 70, 5), { raw: { width: 120, height: 70, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    // A process whose WebAssembly refuses every module, as a runtime without SIMD would.
    const script = `
      WebAssembly.Module = function () { throw new Error('no SIMD here'); };
      const { decodeForNetwork } = require(${JSON.stringify(path.join(__dirname, '../../main/engine/tf/preprocess.js'))});
      const { coverEnlarge } = require(${JSON.stringify(path.join(__dirname, '../../main/engine/tf/cover-enlarge.js'))});
      const chunks = [];
      process.stdin.on('data', (c) => chunks.push(c)).on('end', async () => {
        const decoded = await decodeForNetwork(Buffer.concat(chunks), 96);
        const direct = coverEnlarge(new Uint8Array(30 * 20 * 3), 30, 20, 96);
        process.stdout.write(JSON.stringify({ sha256: require('node:crypto').createHash('sha256').update(decoded).digest('hex'), direct }));
      });`;
    const child = spawnSync(process.execPath, ['-e', script], { input: jpeg, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout) as { sha256: string; direct: null };
    assert.equal(result.direct, null, 'no enlargement without its WebAssembly');
    assert.equal(result.sha256, createHash('sha256').update(await reference(jpeg, 96)).digest('hex'));
    assert.match(child.stderr, /Enlarging small photos through libvips, more slowly: cover-enlarge\.wasm did not load \(no SIMD here\)/);
  });

  it('leaves to sharp the photos it would decode differently: rotated, grey, CMYK, wide-gamut', async () => {
    const pixels = noise(120, 70, 11);
    const base = () => sharp(pixels, { raw: { width: 120, height: 70, channels: 3 } });
    const cases: Record<string, Buffer> = {
      rotated: await base().withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer(),
      grey: await base().toColourspace('b-w').jpeg().toBuffer(),
      cmyk: await base().toColourspace('cmyk').jpeg().toBuffer(),
      p3: await base().withIccProfile('p3').jpeg().toBuffer(),
      plain: await base().jpeg({ quality: 95 }).toBuffer(),
    };
    const names = Object.keys(cases);
    const decoded = await Promise.all(names.map((name) => decodeForNetwork(cases[name], 96)));
    for (const [i, name] of names.entries()) {
      const expected = await reference(cases[name], 96);
      assert.equal(Buffer.compare(Buffer.from(decoded[i]), expected), 0, `${name}: first difference at ${firstDifference(decoded[i], expected)}`);
    }
  });
});
