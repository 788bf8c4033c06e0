/**
 * Image files generated for import tests: every odd case a real folder of photos
 * holds (alpha, CMYK, 16-bit, greyscale, EXIF rotation, BMP) and the broken ones
 * (truncated, empty, not an image, a decompression bomb). Each call makes distinct
 * bytes, so that fixtures never deduplicate into one another by accident.
 */
import { once } from 'node:events';
import zlib from 'node:zlib';
import sharp from 'sharp';

let seed = 0;
/** A small photo-like image: a gradient with a distinct tint per call. */
export function gradient(width: number, height: number): sharp.Sharp {
  const tint = (seed++ * 47) % 200;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = tint;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

export const jpeg = (w = 64, h = 48) => gradient(w, h).jpeg({ quality: 90 }).toBuffer();

/** The first 60% of a JPEG: an interrupted download. */
export async function truncatedJpeg(): Promise<Buffer> {
  const full = await jpeg(320, 240);
  return full.subarray(0, Math.floor(full.length * 0.6));
}

/** Left half opaque red, right half fully transparent. */
export async function pngWithAlpha(w = 40, h = 20): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      data[i] = 255;
      data[i + 3] = x < w / 2 ? 255 : 0;
    }
  }
  return sharp(data, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();
}

/** A CMYK JPEG of a solid colour (as print workflows produce). */
export const cmykJpeg = (w = 50, h = 30) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: 30, g: 90, b: 200 } } }).toColourspace('cmyk').jpeg().toBuffer();

export const png16 = (w = 30, h = 30) => gradient(w, h).toColourspace('rgb16').png().toBuffer();
/** A single-channel greyscale JPEG. */
export const grayJpeg = (w = 36, h = 36) => gradient(w, h).toColourspace('b-w').jpeg().toBuffer();

/**
 * A JPEG stored landscape (300×200: red left half, blue right half) with EXIF
 * orientation 6, so it displays portrait (200×300), red on top.
 */
export async function exifRotatedJpeg(): Promise<Buffer> {
  const w = 300;
  const h = 200;
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      if (x < w / 2) data[i] = 230;
      else data[i + 2] = 230;
    }
  }
  return sharp(data, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
}

export const webp = (w = 40, h = 30) => gradient(w, h).webp().toBuffer();
export const tiff = (w = 40, h = 30) => gradient(w, h).tiff().toBuffer();
/** A two-frame 20×10 animation: green, then dark. Only the first frame should be imported. */
export async function animatedGif(): Promise<Buffer> {
  const frame = (g: number) => Buffer.alloc(20 * 10 * 3).map((_, i) => (i % 3 === 1 ? g : 0));
  return sharp(Buffer.concat([frame(200), frame(20)]), { raw: { width: 20, height: 20, channels: 3, pageHeight: 10 } })
    .gif({ loop: 0 })
    .toBuffer();
}

/**
 * A 24-bit BMP (BITMAPINFOHEADER). `gap` bytes between the headers and the pixels
 * (writers may pad there; the file header says where pixels start); `topDown` stores
 * rows top first (negative height).
 */
export function bmp24(width: number, height: number, pixel: (x: number, y: number) => [number, number, number], options: { gap?: number; topDown?: boolean } = {}): Buffer {
  const gap = options.gap ?? 0;
  const stride = Math.ceil((width * 3) / 4) * 4;
  const offset = 14 + 40 + gap;
  const buf = Buffer.alloc(offset + stride * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(options.topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  buf.writeUInt32LE(0, 30);
  buf.writeUInt32LE(stride * height, 34);
  buf.fill(0xee, 54, offset); // padding that must not be read as pixels
  for (let y = 0; y < height; y++) {
    const row = options.topDown ? y : height - 1 - y;
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const i = offset + row * stride + x * 3;
      buf[i] = b;
      buf[i + 1] = g;
      buf[i + 2] = r;
    }
  }
  return buf;
}

/**
 * A decompression bomb: a ~110 kB PNG whose header declares 30,000×30,000 pixels,
 * with a real (all-black, 1-bit) deflate stream behind it. Decoded to 8-bit RGB it
 * would need 2.7 GB.
 */
export async function pngBomb(side = 30_000): Promise<Buffer> {
  const rowBytes = 1 + Math.ceil(side / 8);
  const deflate = zlib.createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const rowsPerChunk = 1000;
  const chunk = Buffer.alloc(rowBytes * rowsPerChunk);
  for (let rows = 0; rows < side; rows += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, side - rows);
    if (!deflate.write(n === rowsPerChunk ? chunk : chunk.subarray(0, rowBytes * n))) await once(deflate, 'drain');
  }
  deflate.end();
  await once(deflate, 'end');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.concat(out)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Mean RGB of a region of a decoded image (for checking orientation and colour). */
export async function meanColour(image: Buffer, region?: { left: number; top: number; width: number; height: number }): Promise<[number, number, number]> {
  let s = sharp(image).removeAlpha().toColourspace('srgb');
  if (region) s = s.extract(region);
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  const sums = [0, 0, 0];
  for (let i = 0; i < data.length; i += info.channels) for (let c = 0; c < 3; c++) sums[c] += data[i + Math.min(c, info.channels - 1)];
  const n = data.length / info.channels;
  return sums.map((v) => Math.round(v / n)) as [number, number, number];
}

/** A 1,080-byte BMP whose RLE8 pixel data is just "end of bitmap" while its header declares width × height. */
export function rle8BmpBomb(width = 14_000, height = 14_000): Buffer {
  const palette = 256 * 4;
  const data = Buffer.from([0x00, 0x01]);
  const offset = 14 + 40 + palette;
  const b = Buffer.alloc(offset + data.length);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(offset, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(8, 28);
  b.writeUInt32LE(1, 30); // BI_RLE8
  b.writeUInt32LE(data.length, 34);
  b.writeUInt32LE(256, 46);
  data.copy(b, offset);
  return b;
}

/** A real JPEG whose frame header was patched to declare width × height (its data is for a small image). */
export async function jpegDeclaring(width = 14_000, height = 14_000): Promise<Buffer> {
  const bytes = await jpeg(320, 240);
  const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
  if (sof < 0) throw new Error('no baseline frame header');
  bytes.writeUInt16BE(height, sof + 5);
  bytes.writeUInt16BE(width, sof + 7);
  return bytes;
}

/** Diagonal stripes in two saturated colours, as PNG: a picture nothing in a photo set looks like. */
export function stripesPng(side = 256): Promise<Buffer> {
  const rgb = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) rgb.set(((x + y) >> 4) % 2 ? [20, 40, 230] : [250, 240, 20], (y * side + x) * 3);
  return sharp(rgb, { raw: { width: side, height: side, channels: 3 } }).png().toBuffer();
}
