/**
 * THE preprocessing of Graft: every image that meets a network goes through here —
 * code extraction, prediction, fine-tuning and the exported model's reference — so a
 * model never sees pixels prepared differently from those it was trained on.
 *
 * Steps: decode (any format sharp reads, EXIF orientation applied, converted to sRGB unless
 * its profile already is sRGB, transparency flattened onto white), center-crop to a square,
 * resize to the network's input size (sharp's default: Lanczos-3 when reducing, libvips'
 * Catmull-Rom when enlarging, the latter reproduced by cover-enlarge.ts), optionally mirror
 * left↔right (the 'flip' view), then map 0…255 linearly onto the network's input range.
 *
 * It is split in two stages so that the cheap, parallel-friendly part can run where it
 * is best: `decodeForNetwork` (sharp, on libuv's thread pool) yields compact RGB bytes
 * that cross to extraction workers; `toNetworkRange` scales them there.
 */
import fs from 'node:fs';
import sharp from 'sharp';
import { GraftError } from '../errors';
import { isSrgbProfile } from '../importer/icc';
import { readJpegHeader, type JpegHeader } from '../importer/jpeg-header';
import { canCoverEnlarge, coverEnlarge, planCoverEnlarge, type EnlargePlan } from './cover-enlarge';
import { rgbAsTiff } from './raw-tiff';
import type { Tf } from './runtime';
import { availableCores } from '../cores';

/** What preprocessing needs from a backbone spec. */
export interface InputSpec {
  inputSize: number;
  inputRange: readonly [number, number];
}

export interface PreprocessOptions {
  /** The horizontally mirrored view, for augmentation. */
  flip?: boolean;
}

/** A file path, or the file's bytes. */
export type ImageSource = string | Buffer;

/**
 * Decodes an image and returns its center square resized to `inputSize`, as RGB bytes
 * (row-major, `inputSize * inputSize * 3`). Throws GraftError('bad_image') with a reason
 * a person can act on.
 */
export async function decodeForNetwork(source: ImageSource, inputSize: number, options: PreprocessOptions = {}): Promise<Uint8Array> {
  let data: Buffer;
  let enlarge: { header: JpegHeader; plan: EnlargePlan } | undefined;
  await decodeSlot();
  try {
    const bytes = typeof source === 'string' ? await fs.promises.readFile(source) : source;
    // The profile, from a JPEG's own segments when it can (no trip through libvips).
    const header = readJpegHeader(bytes);
    const icc = header === undefined ? (await sharp(bytes).metadata()).icc : (header.icc ?? undefined);
    // An embedded sRGB profile (most camera and web photos) would go through lcms to
    // sRGB: a fifth of the decode's time (8.2-11 ms -> 7.4-7.9 per flower at 320 px), for
    // a change of at most a few levels in 12 of the 1,806 flowers (importer/icc.ts).
    const ignoreIcc = isSrgbProfile(icc);
    const decode = { failOn: 'truncated', limitInputPixels: 268_402_689, ignoreIcc } as const;
    // Enlarging through cover-enlarge.ts wins alone too (a photo dropped on the prediction
    // pane): 2.6-3.3 ms per small flower, against 5.0-5.3 through libvips on two threads.
    const plan = header ? enlargePlan(header, inputSize) : null;
    if (header && plan) {
      // Only decoded here; cover-enlarge.ts enlarges it, to the same bytes libvips would give.
      const raw = await sharp(bytes, decode).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      const { width, height, channels } = raw.info;
      if (channels !== 3 || width !== header.width || height !== header.height) throw new Error(`unexpected decode (${width}×${height}, ${channels} channels)`);
      data = raw.data;
      enlarge = { header, plan };
    } else {
      // A decode alone may use every core (see SHARP_THREADS).
      const alone = decoding === 1 && DECODE_SLOTS > 1;
      if (alone) sharp.concurrency(DECODE_SLOTS);
      const pipeline = sharp(bytes, decode)
        .rotate() // EXIF orientation, so portrait photos are seen upright
        .toColourspace('srgb')
        .flatten({ background: '#ffffff' })
        .resize(inputSize, inputSize, { fit: 'cover', position: 'centre' })
        .removeAlpha()
        .raw({ depth: 'uchar' })
        .toBuffer();
      try {
        data = await pipeline;
      } finally {
        // libvips reads the thread count as the pipeline runs, on libuv's thread: put it back after.
        if (alone) sharp.concurrency(SHARP_THREADS);
      }
    }
  } catch (err) {
    throw new GraftError('bad_image', describeDecodeError(source, err));
  } finally {
    releaseDecodeSlot();
  }
  if (enlarge) {
    const enlarged = coverEnlarge(data, enlarge.header.width, enlarge.header.height, inputSize, enlarge.plan)!;
    data = Buffer.from(enlarged.buffer, enlarged.byteOffset, enlarged.byteLength);
  }
  const expected = inputSize * inputSize * 3;
  if (data.length !== expected) {
    throw new GraftError('bad_image', `${label(source)} decoded to an unexpected size (${data.length} bytes, expected ${expected}).`);
  }
  const rgb = new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (options.flip) mirrorRows(rgb, inputSize);
  return rgb;
}

/**
 * Whether `networkInputFromDecoded`, given this JPEG decoded whole, gives exactly what
 * `decodeForNetwork` gives for the file: the importer then decodes a new photo once for its
 * thumbnail and the networks. The full pipeline must do nothing but decode and resize it
 * (`decodesPlainly`), with no shrink-on-load (sharp shrinks a JPEG while decoding it from a
 * factor of 3 on; below 2 is safe). Where cover-enlarge.ts cannot load, libvips enlarges, and only decoding the file
 * is known to give its bytes.
 */
export function sharesDecode(header: JpegHeader, inputSize: number): boolean {
  if (!decodesPlainly(header) || Math.min(header.width, header.height) >= 2 * inputSize) return false;
  return canCoverEnlarge() || planCoverEnlarge(header.width, header.height, inputSize) === null;
}

/**
 * An image `sharesDecode` accepted, decoded whole to RGB bytes → its network input at
 * `inputSize`, the same bytes as `decodeForNetwork` of its file (compared on every flower
 * at 224 and 320 px): enlarged by cover-enlarge.ts, or reduced by libvips from an
 * uncompressed TIFF of the pixels (raw-tiff.ts says why not from raw memory).
 */
export async function networkInputFromDecoded(rgb: Uint8Array, width: number, height: number, inputSize: number): Promise<Uint8Array> {
  const plan = planCoverEnlarge(width, height, inputSize);
  let data: Uint8Array | null;
  if (plan) data = coverEnlarge(rgb, width, height, inputSize, plan);
  else data = await sharp(rgbAsTiff(rgb, width, height)).resize(inputSize, inputSize, { fit: 'cover', position: 'centre' }).raw({ depth: 'uchar' }).toBuffer();
  if (!data || data.length !== inputSize * inputSize * 3) throw new Error(`could not prepare a ${width}×${height} image for the network at ${inputSize} px`);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/**
 * Whether the full pipeline does nothing to this JPEG but decode and resize it: three
 * components (no grey, no CMYK), upright, and no colour conversion (no profile, or an sRGB
 * one, which `decodeForNetwork` ignores).
 */
function decodesPlainly(header: JpegHeader): boolean {
  return header.components === 3 && header.orientation === 1 && (!header.icc || isSrgbProfile(header.icc));
}

/**
 * The enlargement plan when a JPEG takes the fast route (decoded by sharp, enlarged by
 * cover-enlarge.ts), else null: only when it decodes plainly and its short side is smaller
 * than the input size, so that libvips enlarges the photo rather than reducing it (two
 * thirds of the flowers at 320 px). And only where cover-enlarge.ts's WebAssembly loaded
 * (else libvips enlarges: the same bytes, more slowly).
 */
function enlargePlan(header: JpegHeader, inputSize: number): EnlargePlan | null {
  if (!decodesPlainly(header) || !canCoverEnlarge()) return null;
  return planCoverEnlarge(header.width, header.height, inputSize);
}

/**
 * At most one decode per core at a time. A batch asks for 16-32 decodes at once, and
 * libuv's pool would run four (each with a libvips thread) beside the network's threads:
 * on two cores the main thread then waited its turn among six or more busy threads, and
 * answers while codes were computed took 128-166 ms at worst. With decodes gated the worst
 * was 103-105 ms, throughput the same within this machine's noise (the network and the
 * decodes still fill every core), and
 * libuv's pool keeps threads free for the file reads the app serves meanwhile.
 */
const DECODE_SLOTS = availableCores();
/**
 * A decode alone (a photo dropped on the prediction pane) may use every core: one flower at
 * 320 px took 8.0 ms on one thread, 5.4 on two. Decodes side by side keep sharp's default
 * (one thread each on Linux), as do the importer's in the decoding workers.
 */
const SHARP_THREADS = sharp.concurrency();
let decoding = 0;
const waiting: Array<() => void> = [];

function decodeSlot(): Promise<void> | void {
  if (decoding < DECODE_SLOTS) {
    decoding++;
    return;
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function releaseDecodeSlot(): void {
  const next = waiting.shift();
  // The slot passes straight to the next decode, so `decoding` stays the same.
  if (next) next();
  else decoding--;
}

/**
 * Maps RGB bytes onto the network's range, writing into `out` at `offset` (floats) when
 * given, so a batch can be filled without copies.
 */
export function toNetworkRange(rgb: Uint8Array, range: readonly [number, number], out?: Float32Array, offset = 0): Float32Array {
  const target = out ?? new Float32Array(rgb.length);
  const lo = range[0];
  const scale = (range[1] - range[0]) / 255;
  for (let i = 0; i < rgb.length; i++) target[offset + i] = lo + rgb[i] * scale;
  return target;
}

/** Both stages: one image → network input values (`inputSize² × 3` floats). */
export async function preprocess(source: ImageSource, spec: InputSpec, options: PreprocessOptions = {}): Promise<Float32Array> {
  return toNetworkRange(await decodeForNetwork(source, spec.inputSize, options), spec.inputRange);
}

/**
 * Several images → one `[n, size, size, 3]` tensor the caller owns (dispose it).
 * Fails on the first unreadable image; callers that must skip bad files decode one by
 * one with `preprocess` and report each failure.
 */
export async function preprocessBatch(tf: Tf, sources: ImageSource[], spec: InputSpec, options: PreprocessOptions = {}): Promise<import('@tensorflow/tfjs').Tensor4D> {
  const size = spec.inputSize;
  const per = size * size * 3;
  const values = new Float32Array(sources.length * per);
  const decoded = await Promise.all(sources.map((s) => decodeForNetwork(s, size, options)));
  decoded.forEach((rgb, i) => toNetworkRange(rgb, spec.inputRange, values, i * per));
  return tf.tensor4d(values, [sources.length, size, size, 3]);
}

/** Mirrors each row of an RGB image in place (the 'flip' view). */
export function mirrorRows(rgb: Uint8Array, size: number): void {
  const row = size * 3;
  for (let y = 0; y < size; y++) {
    let a = y * row;
    let b = a + row - 3;
    while (a < b) {
      for (let c = 0; c < 3; c++) {
        const t = rgb[a + c];
        rgb[a + c] = rgb[b + c];
        rgb[b + c] = t;
      }
      a += 3;
      b -= 3;
    }
  }
}

function label(source: ImageSource): string {
  return typeof source === 'string' ? source : 'The image';
}

function describeDecodeError(source: ImageSource, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && e.code === 'ENOENT') return `${label(source)} is missing: it was moved or deleted since the import.`;
  if (e && e.code === 'EACCES') return `${label(source)} cannot be read (permission denied).`;
  const m = String(e?.message ?? err).split('\n')[0];
  if (/unsupported image format|Input file contains unsupported/i.test(m)) return `${label(source)} is not an image Graft can read (${m}).`;
  if (/premature end|truncated|VipsJpeg|corrupt|Invalid|bad/i.test(m)) return `${label(source)} is damaged or truncated (${m}).`;
  if (/pixel limit/i.test(m)) return `${label(source)} is too large to decode (over 268 megapixels).`;
  return `${label(source)} could not be decoded (${m}).`;
}
