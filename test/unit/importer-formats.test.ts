import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { folderClassOf, isHiddenName, isImageFileName, sniffFormat } from '../../main/engine/importer/formats';
import { iccDescription, isSrgbProfile } from '../../main/engine/importer/icc';
import { readJpegHeader } from '../../main/engine/importer/jpeg-header';
import { pathRange } from '../../main/engine/catalogue/import-records';
import { describeDecodeFailure, thumbnailFromBytes } from '../../main/engine/importer/decode';

describe('import candidates', () => {
  it('takes image extensions in any case and nothing else', () => {
    for (const name of ['a.jpg', 'B.JPEG', 'c.Png', 'd.webp', 'e.gif', 'f.tif', 'g.TIFF', 'h.bmp', 'i.avif', 'j.heic', 'k.jfif']) {
      assert.ok(isImageFileName(name), name);
    }
    for (const name of ['LICENSE.txt', 'photo.jpg.xmp', 'movie.mov', 'jpg', 'notes.md', 'archive.zip']) {
      assert.ok(!isImageFileName(name), name);
    }
  });

  it('ignores hidden files such as AppleDouble companions', () => {
    assert.ok(isHiddenName('._IMG_0001.jpg'));
    assert.ok(isHiddenName('.DS_Store'));
    assert.ok(!isHiddenName('IMG_0001.jpg'));
  });

  it('labels by the top-level subfolder, NFC-normalised', () => {
    const root = path.join(path.sep, 'photos');
    assert.equal(folderClassOf(root, path.join(root, 'daisy', 'a.jpg')), 'daisy');
    assert.equal(folderClassOf(root, path.join(root, 'daisy', '2019', 'june', 'a.jpg')), 'daisy');
    assert.equal(folderClassOf(root, path.join(root, 'a.jpg')), null);
    // "é" decomposed (as macOS stores names) becomes the composed form.
    assert.equal(folderClassOf(root, path.join(root, 'Cafe\u0301', 'a.jpg')), 'Caf\u00e9');
    assert.equal(folderClassOf(root, path.join(root, 'x'.repeat(101), 'a.jpg')), null);
  });
});

describe('sniffFormat', () => {
  it('recognises each format by its bytes, not its name', async () => {
    const img = sharp({ create: { width: 4, height: 4, channels: 3, background: '#336699' } });
    assert.equal(sniffFormat(await img.clone().jpeg().toBuffer()), 'jpeg');
    assert.equal(sniffFormat(await img.clone().png().toBuffer()), 'png');
    assert.equal(sniffFormat(await img.clone().webp().toBuffer()), 'webp');
    assert.equal(sniffFormat(await img.clone().gif().toBuffer()), 'gif');
    assert.equal(sniffFormat(await img.clone().tiff().toBuffer()), 'tiff');
    assert.equal(sniffFormat(await img.clone().avif().toBuffer()), 'avif');
    assert.equal(sniffFormat(Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)])), 'bmp');
    assert.equal(sniffFormat(Buffer.from('<!DOCTYPE html><html>')), null);
    assert.equal(sniffFormat(Buffer.alloc(0)), null);
  });
});

describe('ICC profiles', () => {
  it('recognises an embedded sRGB profile, and no other', async () => {
    const base = sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } });
    const profileOf = async (name: string) => (await sharp(await base.clone().withIccProfile(name).jpeg().toBuffer()).metadata()).icc!;
    const srgb = await profileOf('srgb');
    const p3 = await profileOf('p3');
    assert.match(iccDescription(srgb) ?? '', /sRGB/);
    assert.ok(isSrgbProfile(srgb));
    assert.ok(!isSrgbProfile(p3), `p3 profile "${iccDescription(p3)}" must be converted`);
    assert.ok(!isSrgbProfile(undefined));
    assert.ok(!isSrgbProfile(Buffer.alloc(64)));
    // A damaged profile (tag table pointing past the end) is not trusted.
    const broken = Buffer.from(srgb);
    broken.writeUInt32BE(0xffffff, 128);
    assert.ok(!isSrgbProfile(broken));
  });

  it("reads a JPEG's profile from its own segments, as libvips does", async () => {
    const jpegIccProfile = (bytes: Buffer) => readJpegHeader(bytes)?.icc;
    const base = sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } });
    const viaSharp = async (bytes: Buffer) => (await sharp(bytes).metadata()).icc;
    for (const name of ['srgb', 'p3', 'cmyk']) {
      const jpeg = await base.clone().withIccProfile(name).jpeg().toBuffer();
      assert.deepEqual(Buffer.from(jpegIccProfile(jpeg)!), await viaSharp(jpeg), name);
    }
    const plain = await base.clone().jpeg().toBuffer();
    assert.equal(await viaSharp(plain), undefined);
    assert.equal(jpegIccProfile(plain), null, 'no profile');
    assert.equal(jpegIccProfile(await base.clone().png().toBuffer()), undefined, 'not a JPEG: ask sharp');

    // A profile in two APP2 chunks (as profiles over 64 KB must be) is put back together.
    const jpeg = await base.clone().withIccProfile('p3').jpeg().toBuffer();
    const profile = Buffer.from(jpegIccProfile(jpeg)!);
    const at = jpeg.indexOf(Buffer.from('ICC_PROFILE\0', 'latin1')) - 4;
    const segment = (data: Buffer, seq: number) => {
      const head = Buffer.from([0xff, 0xe2, 0, 0, ...Buffer.from('ICC_PROFILE\0', 'latin1'), seq, 2]);
      head.writeUInt16BE(2 + 14 + data.length, 2);
      return Buffer.concat([head, data]);
    };
    const half = profile.length >> 1;
    const split = Buffer.concat([jpeg.subarray(0, at), segment(profile.subarray(0, half), 1), segment(profile.subarray(half), 2), jpeg.subarray(at + 2 + jpeg.readUInt16BE(at + 2))]);
    assert.deepEqual(await viaSharp(split), profile, 'libvips reads the split profile');
    assert.deepEqual(Buffer.from(jpegIccProfile(split)!), profile);
    // Chunks out of order, or a segment cut short: not plain, so sharp is asked.
    const swapped = Buffer.concat([jpeg.subarray(0, at), segment(profile.subarray(half), 2), segment(profile.subarray(0, half), 1), jpeg.subarray(at + 2 + jpeg.readUInt16BE(at + 2))]);
    assert.equal(jpegIccProfile(swapped), undefined);
    assert.equal(jpegIccProfile(split.subarray(0, at + 40)), undefined);
  });
});

/** A 30×20 image to encode in the tests' variants. */
function smallImage(): sharp.Sharp {
  return sharp({ create: { width: 30, height: 20, channels: 3, background: '#336699' } });
}

/** JPEGs whose headers differ in each way the header reader and the importer care about. */
async function jpegVariants(): Promise<Record<string, Buffer>> {
  return {
    plain: await smallImage().jpeg().toBuffer(),
    rotated: await smallImage().withMetadata({ orientation: 6 }).jpeg().toBuffer(),
    mirrored: await smallImage().withMetadata({ orientation: 2 }).jpeg().toBuffer(),
    grey: await smallImage().toColourspace('b-w').jpeg().toBuffer(),
    cmyk: await smallImage().toColourspace('cmyk').jpeg().toBuffer(),
    progressive: await smallImage().jpeg({ progressive: true }).toBuffer(),
  };
}

describe('readJpegHeader', () => {
  it('reads size, components and EXIF orientation as libvips does', async () => {
    const cases = await jpegVariants();
    for (const [name, bytes] of Object.entries(cases)) {
      const header = readJpegHeader(bytes);
      const meta = await sharp(bytes).metadata();
      assert.ok(header, name);
      assert.deepEqual([header.width, header.height, header.components, header.orientation], [meta.width, meta.height, meta.channels, meta.orientation ?? 1], name);
    }
    assert.equal(readJpegHeader(await smallImage().png().toBuffer()), undefined, 'not a JPEG');
    // An EXIF block cut short cannot be trusted to say "upright".
    const rotated = cases.rotated;
    const exif = rotated.indexOf(Buffer.from('Exif\0\0', 'latin1'));
    const damaged = Buffer.from(rotated);
    damaged.writeUInt32BE(0xfffffff0, exif + 6 + 4);
    assert.equal(readJpegHeader(damaged), undefined, 'IFD offset past the end');
  });
});

describe('import facts', () => {
  it('are the same as libvips says, whether they come from the JPEG header or from sharp', async () => {
    // The rotated and mirrored ones, and the PNG, are asked of sharp; the displayed size is turned.
    const cases = {
      ...(await jpegVariants()),
      displayP3: await smallImage().withIccProfile('p3').jpeg().toBuffer(),
      png: await smallImage().png().toBuffer(),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const facts = await thumbnailFromBytes(bytes);
      const meta = await sharp(bytes).metadata();
      const shown = meta.autoOrient ?? { width: meta.width, height: meta.height };
      assert.deepEqual([facts.width, facts.height], [shown.width, shown.height], name);
      const thumbnail = await sharp(facts.thumbnail).metadata();
      assert.deepEqual([thumbnail.width, thumbnail.height], [shown.width, shown.height], `${name}: thumbnail`);
    }
  });

  it('refuse a JPEG whose frame declares no height', async () => {
    const jpeg = Buffer.from(await smallImage().jpeg().toBuffer());
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    jpeg.writeUInt16BE(0, sof + 5);
    await assert.rejects(thumbnailFromBytes(jpeg), (err: Error & { reason?: string }) => /declares no size/.test(err.reason ?? ''));
  });
});

describe('pathRange', () => {
  it('bounds exactly the paths inside a folder', () => {
    const [from, to] = pathRange('/data/flowers');
    const inside = (p: string) => p >= from && p < to;
    assert.ok(inside('/data/flowers/daisy/a.jpg'));
    assert.ok(inside('/data/flowers/a.jpg'));
    assert.ok(!inside('/data/flowers'));
    assert.ok(!inside('/data/flowers-mini/daisy/a.jpg'));
    assert.ok(!inside('/data/flowers0/a.jpg'));
  });
});

describe('describeDecodeFailure', () => {
  it('turns libvips messages into reasons a person can act on', () => {
    assert.match(describeDecodeFailure(new Error('VipsJpeg: premature end of JPEG image')), /truncated/);
    assert.match(describeDecodeFailure(new Error('Input buffer contains unsupported image format')), /not an image/);
    assert.match(describeDecodeFailure(new Error('Input image exceeds pixel limit')), /megapixel limit/);
    assert.match(describeDecodeFailure(new Error('something odd\nwith details')), /^cannot be decoded: something odd$/);
    // libvips can lose a message under concurrency; the reason still says what to think.
    assert.match(describeDecodeFailure(new Error('Unknown error')), /damaged, or in a variant/);
  });
});
