/**
 * Turning a file's bytes into what the catalogue keeps (size after EXIF orientation,
 * format, a thumbnail) and into the large preview, with the guards that let a folder
 * of anything be imported safely: empty files, text named `.png`, truncated JPEGs,
 * decompression bombs and pathological files become an `ImageDecodeError` whose
 * `reason` is written for the person reading the import report.
 */
import sharp from 'sharp';
import { decodeBmp, readBmpHeader } from './bmp';
import type { ImageFormat } from './formats';
import { sniffFormat } from './formats';
import { isSrgbProfile } from './icc';
import { readJpegHeader } from './jpeg-header';

/**
 * Images above this many pixels are refused before any pixel is decoded. 200 MP is
 * beyond any camera photo (the largest medium-format sensors are ~150 MP) and keeps
 * two decodes in parallel well inside memory; a 30,000×30,000 PNG bomb (900 MP)
 * stops here, with a reason, from its header alone.
 */
export const MAX_PIXELS = 200_000_000;
/** Files larger than this are not read into memory at all. */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;
export const THUMBNAIL_SIZE = 256;
export const PREVIEW_SIZE = 2048;
/** A single image that takes longer than this to decode is pathological; give up on it. */
const DECODE_TIMEOUT_SECONDS = 120;

/** A file that is not an image Graft can use; `reason` is shown to the person as is. */
export class ImageDecodeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ImageDecodeError';
  }
}

export interface ImageFacts {
  format: ImageFormat;
  /** Size as displayed, after EXIF orientation. */
  width: number;
  height: number;
}

export interface Thumbnailed extends ImageFacts {
  /** Orientation-corrected sRGB JPEG, long side at most THUMBNAIL_SIZE. */
  thumbnail: Buffer;
}

/**
 * A guarded sharp pipeline for the bytes, already set to apply EXIF orientation, plus
 * what the header says about the image. Throws ImageDecodeError for anything that is
 * not a decodable image of a sane size. Other engines (codes extraction) can use it to
 * decode exactly as the importer does.
 */
export async function openImage(bytes: Buffer): Promise<{ image: sharp.Sharp; facts: ImageFacts }> {
  if (bytes.length === 0) throw new ImageDecodeError('empty file (0 bytes)');
  const format = sniffFormat(bytes.subarray(0, 32));
  if (!format) {
    throw new ImageDecodeError('not an image: its contents are not JPEG, PNG, WebP, GIF, TIFF, BMP or AVIF');
  }
  if (format === 'bmp') return openBmp(bytes);

  const meta = await headerFacts(bytes, format);
  const { width, height } = meta;
  if (!width || !height) throw new ImageDecodeError('damaged image: its header declares no size');
  checkPixelCount(width, height);
  checkDataHoldsPixels(format, width, height, bytes.length);
  if (format === 'heic' && meta.compression === 'hevc') throw new ImageDecodeError(HEIC_REASON);

  const image = sharp(bytes, {
    // libvips' warnings are about damaged data ("premature end of JPEG file", "corrupt
    // JPEG data"): such a file would come in grey or half-blank, so it is reported instead.
    failOn: 'warning',
    limitInputPixels: MAX_PIXELS,
    autoOrient: true,
    // sRGB → sRGB through lcms changes nothing and dominates decode time.
    ignoreIcc: isSrgbProfile(meta.icc),
  }).timeout({ seconds: DECODE_TIMEOUT_SECONDS });
  const oriented = meta.autoOrient ?? ((meta.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height });
  return { image, facts: { format, width: oriented.width, height: oriented.height } };
}

/** What `openImage` needs to know before it decodes: the stored size, and how to show it. */
type HeaderFacts = Partial<Pick<sharp.Metadata, 'orientation' | 'autoOrient' | 'compression'>> & { width: number; height: number; icc?: Uint8Array };

/**
 * An upright JPEG's facts come from its own segments (jpeg-header.ts): sharp's metadata call
 * was 0.4-0.5 ms of the 4.7-6.7 ms of CPU an import spent on a flower photo (measured side by
 * side over all 1,806). Any other file, and any JPEG whose header is not plain or that is
 * turned by its EXIF orientation, asks libvips, whose errors say what is wrong with it.
 */
async function headerFacts(bytes: Buffer, format: ImageFormat): Promise<HeaderFacts> {
  const header = format === 'jpeg' ? readJpegHeader(bytes) : undefined;
  if (header && header.orientation === 1) return { width: header.width, height: header.height, icc: header.icc ?? undefined };
  try {
    const meta = await sharp(bytes, { failOn: 'error', limitInputPixels: false }).metadata();
    return { ...meta, width: meta.width ?? 0, height: meta.height ?? 0 };
  } catch (err) {
    throw new ImageDecodeError(describeDecodeFailure(err, format));
  }
}

function openBmp(bytes: Buffer): { image: sharp.Sharp; facts: ImageFacts } {
  const header = readBmpHeader(bytes);
  if (!header) throw new ImageDecodeError('not a BMP Graft can read (unknown header); convert it to PNG');
  if (header.width <= 0 || header.height <= 0) throw new ImageDecodeError('damaged image: its header declares no size');
  checkPixelCount(header.width, header.height);
  checkDataHoldsPixels('bmp', header.width, header.height, bytes.length);
  if (header.compression === 0 && header.bitsPerPixel > 0) {
    const stride = Math.ceil((header.width * header.bitsPerPixel) / 32) * 4;
    if (header.pixelOffset + stride * header.height > bytes.length) throw new ImageDecodeError(TRUNCATED_REASON);
  }
  let pixels: { data: Buffer; width: number; height: number };
  try {
    pixels = decodeBmp(bytes, header);
  } catch (err) {
    const message = (err as Error).message ?? '';
    throw new ImageDecodeError(/range|out of bounds|beyond/i.test(message) ? TRUNCATED_REASON : `cannot be decoded: ${firstLine(message)}`);
  }
  const image = sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 3 } });
  return { image, facts: { format: 'bmp', width: pixels.width, height: pixels.height } };
}

/** The importer's view of an image: its facts and its thumbnail. */
export async function thumbnailFromBytes(bytes: Buffer): Promise<Thumbnailed> {
  return withClearReason(bytes, async () => {
    const { image, facts } = await openImage(bytes);
    const thumbnail = await renderJpeg(image, facts.format, THUMBNAIL_SIZE, 80);
    return { ...facts, thumbnail };
  });
}

/** An image decoded whole: its facts and its upright RGB bytes. */
export interface DecodedWhole extends ImageFacts {
  rgb: Buffer;
}

/**
 * The image decoded whole to RGB bytes, with the same guards and reasons as the thumbnail.
 * Only for images whose pipeline is nothing but a decode (an upright three-component JPEG
 * without a colour profile to apply): the importer then makes the thumbnail and the
 * networks' inputs from one decode. Throws ImageDecodeError.
 */
export async function decodeWhole(bytes: Buffer): Promise<DecodedWhole> {
  return withClearReason(bytes, async () => {
    const { image, facts } = await openImage(bytes);
    let raw: { data: Buffer; info: sharp.OutputInfo };
    try {
      raw = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw new ImageDecodeError(describeDecodeFailure(err, facts.format));
    }
    const { width, height, channels } = raw.info;
    if (channels !== 3 || width !== facts.width || height !== facts.height) throw new ImageDecodeError(`cannot be decoded: unexpected ${width}×${height} image with ${channels} channels`);
    return { ...facts, rgb: raw.data };
  });
}

/** `thumbnailFromBytes` for an image `decodeWhole` decoded: the same thumbnail, without a second decode. */
export async function thumbnailFromDecoded(decoded: DecodedWhole): Promise<Buffer> {
  const { rgb, width, height, format } = decoded;
  return renderJpeg(sharp(rgb, { raw: { width, height, channels: 3 } }), format, THUMBNAIL_SIZE, 80);
}

/** An orientation-corrected sRGB JPEG of the image, long side at most `longSide`. */
export async function jpegFromBytes(bytes: Buffer, longSide = PREVIEW_SIZE, quality = 85): Promise<Buffer> {
  return withClearReason(bytes, async () => {
    const { image, facts } = await openImage(bytes);
    return renderJpeg(image, facts.format, longSide, quality);
  });
}

/**
 * libvips keeps its last error message in one buffer for the whole process; when
 * several decodes fail or finish at once, a failure can reach us as "Unknown error"
 * (seen with a truncated JPEG decoded beside others). The failure itself is real, only
 * its message is lost, so decode again (at most twice) to learn the actual reason. If it
 * is still lost (it was, about once in a few hundred test runs), a JPEG or PNG without its
 * end marker was cut short, which the bytes themselves show.
 */
async function withClearReason<T>(bytes: Buffer, decode: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await decode();
    } catch (err) {
      // failOn 'warning' keeps only "Warning treated as error": the bytes say whether it was cut short.
      if (err instanceof ImageDecodeError && err.reason === WARNED_REASON && lacksEndMarker(bytes)) throw new ImageDecodeError(TRUNCATED_REASON);
      const lostMessage = err instanceof ImageDecodeError && err.reason === UNKNOWN_REASON;
      if (!lostMessage) throw err;
      if (attempt >= 2) throw lacksEndMarker(bytes) ? new ImageDecodeError(TRUNCATED_REASON) : err;
    }
  }
}

/** A JPEG without FF D9 or a PNG without its IEND chunk near the end of the file. */
function lacksEndMarker(bytes: Buffer): boolean {
  const tail = bytes.subarray(Math.max(0, bytes.length - 64));
  const format = sniffFormat(bytes.subarray(0, 32));
  if (format === 'jpeg') return tail.indexOf(Buffer.from([0xff, 0xd9])) < 0;
  if (format === 'png') return tail.indexOf('IEND', 0, 'latin1') < 0;
  return false;
}

async function renderJpeg(image: sharp.Sharp, format: ImageFormat, longSide: number, quality: number): Promise<Buffer> {
  try {
    return await image
      .resize(longSide, longSide, { fit: 'inside', withoutEnlargement: true })
      // Transparent areas become white, as in a file browser, not JPEG's default black.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .jpeg({ quality })
      .toBuffer();
  } catch (err) {
    throw new ImageDecodeError(describeDecodeFailure(err, format));
  }
}

const UNKNOWN_REASON = 'cannot be decoded: the image data is damaged, or in a variant Graft cannot read';
const TRUNCATED_REASON = 'the file is truncated or damaged (an interrupted download or copy?)';
const WARNED_REASON = 'the image data is damaged: parts of it would come in grey or blank';
const HEIC_REASON = 'HEIC photos cannot be decoded by this build of Graft; export them as JPEG first';

function checkPixelCount(width: number, height: number): void {
  if (width * height > MAX_PIXELS) {
    const mp = Math.round((width * height) / 1e6);
    throw new ImageDecodeError(
      `too large: ${width}×${height} pixels (${mp} megapixels) is over the ${MAX_PIXELS / 1e6}-megapixel limit ` +
        `(a decompression bomb, or a huge scan: scale it down to import it)`,
    );
  }
}

/**
 * The most pixels per byte of file that each format can plausibly hold. Compression has
 * limits: a JPEG spends bits on every 8×8 block, deflate (PNG) expands a byte at most
 * ~1,000-fold and a 1-bit image packs 8 pixels a byte; RLE in BMP can declare any size
 * in a few bytes, which is exactly the decompression bomb (a 1 KB file declaring
 * 14,000×14,000 decodes to 600 MB of blank pixels). Small images are never refused.
 */
const MAX_PIXELS_PER_BYTE: Partial<Record<ImageFormat, number>> = { jpeg: 1_000, bmp: 1_000, png: 10_000, gif: 10_000, webp: 10_000, tiff: 10_000, avif: 10_000 };
const BOMB_CHECK_ABOVE_PIXELS = 4_000_000;

function checkDataHoldsPixels(format: ImageFormat, width: number, height: number, bytes: number): void {
  const limit = MAX_PIXELS_PER_BYTE[format];
  const pixels = width * height;
  if (!limit || pixels <= BOMB_CHECK_ABOVE_PIXELS || pixels / Math.max(1, bytes) <= limit) return;
  throw new ImageDecodeError(
    `declares ${width}×${height} pixels in ${bytes.toLocaleString('en-US')} bytes, far more than its data can hold ` +
      `(a decompression bomb, or a damaged header)`,
  );
}

/** A person's reason for a libvips failure message. */
export function describeDecodeFailure(err: unknown, format?: ImageFormat): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(message)) return 'not an image, or a format Graft cannot read';
  if (/premature end|truncated|unexpected end|end of (file|stream|data)|not enough (data|image data)|short read|read error|incomplete/i.test(message)) {
    return TRUNCATED_REASON;
  }
  if (/warning treated as error/i.test(message)) return WARNED_REASON;
  if (/pixel limit/i.test(message)) return `too large: over the ${MAX_PIXELS / 1e6}-megapixel limit (a decompression bomb?)`;
  if (/timeout/i.test(message)) return `took longer than ${DECODE_TIMEOUT_SECONDS} s to decode; the file is probably damaged`;
  if (format === 'heic' || /hevc|no decoding plugin|unsupported codec/i.test(message)) return HEIC_REASON;
  if (!message.trim() || /^unknown error$/i.test(message.trim())) return UNKNOWN_REASON;
  return `cannot be decoded: ${firstLine(message)}`;
}

function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? 'unknown error';
}
