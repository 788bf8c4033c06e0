/**
 * Enlarging an RGB image to cover a square, with exactly the arithmetic sharp 0.34's
 * `resize(size, size, { fit: 'cover' })` uses when both sides grow (libvips 8.17:
 * `vips_resize` → `vips_affine` with its fixed-point Catmull-Rom "bicubic" interpolator,
 * edges extended, then sharp's centre crop), so every pixel is the same as libvips'.
 *
 * Why: two thirds of the flower photos are smaller than the networks' 320 px, and libvips
 * computes each enlarged pixel from its 4×4 neighbours one at a time: 4.5 ms of a 6.4 ms
 * decode on one core. Its interpolator rounds each row of the 4×4 stencil before it
 * combines the rows, so the same result comes from two passes, one along the rows and one
 * down the columns, each output value taking 4 products instead of 20: 2.3-3.5 ms per flower
 * in JavaScript, depending on the machine. The passes now run in WebAssembly SIMD
 * (cover-enlarge.wat), several values per instruction: 0.5 ms on the machine where
 * JavaScript took 3.1-3.5. This module plans them and lays out their memory.
 * The codes cached by earlier versions stay valid because not one value changes; a test
 * compares this with sharp on real photos and on many sizes, and fails if an upgraded
 * libvips enlarges differently.
 */
import fs from 'node:fs';
import path from 'node:path';

/** libvips' VIPS_TRANSFORM_SCALE (positions per pixel) and VIPS_INTERPOLATE_SHIFT (fixed point). */
const POSITIONS = 64;
const SHIFT = 12;

/** libvips' table of Catmull-Rom weights for each of the 65 positions, as its ints. */
const WEIGHTS: Int32Array = (() => {
  const table = new Int32Array((POSITIONS + 1) * 4);
  for (let i = 0; i <= POSITIONS; i++) {
    const x = Math.fround(i / POSITIONS);
    // calculate_coefficients_catmull(), operation for operation.
    const cr1 = 1 - x;
    const cr2 = -0.5 * x;
    const cr3 = cr1 * cr2;
    const cone = cr1 * cr3;
    const cfou = x * cr3;
    const cr4 = cfou - cone;
    const ctwo = cr1 - cone + cr4;
    const cthr = x - cfou - cr4;
    [cone, ctwo, cthr, cfou].forEach((c, k) => (table[i * 4 + k] = Math.trunc(c * (1 << SHIFT))));
  }
  return table;
})();

/** For each output pixel along one axis: its four source indices and their weights. */
interface AxisTaps {
  index: Int32Array;
  weight: Int32Array;
}

export interface EnlargePlan {
  columns: AxisTaps;
  rows: AxisTaps;
}

/**
 * The plan for covering `size`×`size` from a `width`×`height` image, or null when sharp
 * would not enlarge both sides (the image is at least `size` on its short side) or when
 * a sample would fall outside the image (libvips paints those; never seen for a cover).
 */
export function planCoverEnlarge(width: number, height: number, size: number): EnlargePlan | null {
  // sharp's ResolveShrink for fit 'cover': one shrink for both axes, the smaller.
  let shrink = Math.min(width / size, height / size);
  shrink = Math.min(shrink, width, height);
  const scale = 1.0 / shrink;
  if (!(scale > 1.0)) return null;
  // vips_affine's inverse matrix: det = a·d − b·c, ia = d/det, id = a/det.
  const inverse = (1.0 / (scale * scale - 0 * 0)) * scale;
  // The enlarged size (vips__transform_set_area rounds to nearest), then sharp's centre crop.
  const outWidth = roundHalfAway(scale * width);
  const outHeight = roundHalfAway(scale * height);
  if (outWidth < size || outHeight < size) return null;
  const left = Math.trunc((outWidth - size + 1) / 2);
  const top = Math.trunc((outHeight - size + 1) / 2);
  const columns = axisTaps(size, width, inverse, left, true);
  const rows = axisTaps(size, height, inverse, top, false);
  return columns && rows ? { columns, rows } : null;
}

/**
 * The source position of each output pixel as vips_affine_gen computes it: input
 * displacement 0.5 (vips_resize), minus the one-pixel border vips_affine embeds, plus the
 * stencil's offset of one. Along a row libvips adds the step pixel by pixel from the
 * region's left edge (sharp's crop: `start`), and the sums' rounding is kept; down the
 * columns it multiplies afresh for each row.
 */
function axisTaps(size: number, length: number, inverse: number, start: number, accumulate: boolean): AxisTaps | null {
  const index = new Int32Array(size * 4);
  const weight = new Int32Array(size * 4);
  let position = inverse * start;
  position -= 0.5 - 1;
  position += 1;
  for (let o = 0; o < size; o++) {
    if (!accumulate) {
      position = inverse * (start + o);
      position -= 0.5 - 1;
      position += 1;
    }
    const whole = Math.floor(position);
    if (whole < 1 || whole > length + 1) return null;
    const fraction = ((Math.trunc(position * POSITIONS * 2) & (POSITIONS * 2 - 1)) + 1) >> 1;
    // Stencil: embedded columns whole−1 … whole+2, the embedded image having a 2-pixel border.
    const first = Math.trunc(position) - 3;
    for (let k = 0; k < 4; k++) {
      index[o * 4 + k] = Math.min(length - 1, Math.max(0, first + k));
      weight[o * 4 + k] = WEIGHTS[fraction * 4 + k];
    }
    if (accumulate) position += inverse;
  }
  return { index, weight };
}

/** VIPS_ROUND_INT. */
function roundHalfAway(x: number): number {
  return x > 0 ? Math.trunc(x + 0.5) : Math.trunc(x - 0.5);
}

/**
 * `rgb` (`width`×`height`×3 bytes) enlarged and centre-cropped to `size`×`size`×3, or null
 * when `planCoverEnlarge` has no plan for it, or this thread cannot run the WebAssembly
 * passes (the caller then lets sharp resize: the same bytes, more slowly). A caller that
 * already made the plan for these sizes passes it.
 */
export function coverEnlarge(rgb: Uint8Array, width: number, height: number, size: number, plan = planCoverEnlarge(width, height, size)): Uint8Array | null {
  const passes = plan && enlargePasses();
  if (!plan || !passes) return null;
  const { columns, rows } = plan;
  const stride = size * 3;
  // Only the source pixels the output samples: a long panorama keeps the module's memory small.
  const firstColumn = columns.index[0];
  const spanBytes = (columns.index[size * 4 - 1] - firstColumn + 1) * 3;
  const firstRow = rows.index[0];
  const rowCount = rows.index[size * 4 - 1] - firstRow + 1;
  // The areas, each padded for the vectors that run past its end (cover-enlarge.wat).
  const src = 0;
  const columnTable = padded(src + rowCount * spanBytes);
  const rowTable = padded(columnTable + size * 48);
  const across = padded(rowTable + size * 32);
  const out = padded(across + rowCount * stride * 4);
  const end = padded(out + size * stride);
  const memory = passes.memory;
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const bytes = new Uint8Array(memory.buffer);
  for (let r = 0; r < rowCount; r++) {
    const from = ((firstRow + r) * width + firstColumn) * 3;
    bytes.set(rgb.subarray(from, from + spanBytes), src + r * spanBytes);
  }
  // Along the rows: per output column, a swizzle gathering its taps' R, G and B bytes, the
  // weights as i16 (twice), and the byte offset of its first tap.
  const words = new Int32Array(memory.buffer);
  const halves = new Int16Array(memory.buffer);
  for (let x = 0; x < size; x++) {
    const record = columnTable + x * 48;
    const first = columns.index[x * 4];
    for (let c = 0; c < 3; c++) for (let k = 0; k < 4; k++) bytes[record + c * 4 + k] = (columns.index[x * 4 + k] - first) * 3 + c;
    bytes.fill(255, record + 12, record + 16);
    for (let k = 0; k < 4; k++) halves[(record + 16) / 2 + k] = halves[(record + 24) / 2 + k] = columns.weight[x * 4 + k];
    words[(record + 32) / 4] = (first - firstColumn) * 3;
  }
  // Down the columns: per output row, the byte offsets of its four rows of the first pass, then their weights.
  for (let y = 0; y < size; y++) {
    const record = (rowTable + y * 32) / 4;
    for (let k = 0; k < 4; k++) {
      words[record + k] = (rows.index[y * 4 + k] - firstRow) * stride * 4;
      words[record + 4 + k] = rows.weight[y * 4 + k];
    }
  }
  passes.enlarge_rows(src, spanBytes, rowCount, size, columnTable, across);
  passes.enlarge_columns(across, size, rowTable, out);
  return new Uint8Array(memory.buffer, out, size * stride).slice();
}

/** The passes' areas start 16-byte aligned, after 64 bytes of padding for the last vector's overrun. */
function padded(offset: number): number {
  return (offset + 64 + 15) & ~15;
}

interface EnlargePasses {
  memory: WebAssembly.Memory;
  enlarge_rows(src: number, rowBytes: number, rowCount: number, size: number, columns: number, across: number): void;
  enlarge_columns(across: number, size: number, rows: number, out: number): void;
}

let passes: EnlargePasses | null | undefined;

/** Whether `coverEnlarge` can run on this thread (it loads the WebAssembly passes once). */
export function canCoverEnlarge(): boolean {
  return enlargePasses() !== null;
}

/**
 * This thread's instance of cover-enlarge.wasm (each thread compiles its own; its memory
 * grows to the largest photo seen, about 2 MB at 320 px), or null when it cannot load: the
 * photos then take libvips' route, and the reason is told once.
 */
function enlargePasses(): EnlargePasses | null {
  if (passes !== undefined) return passes;
  try {
    const module = new WebAssembly.Module(fs.readFileSync(path.join(__dirname, 'cover-enlarge.wasm')));
    passes = new WebAssembly.Instance(module, {}).exports as unknown as EnlargePasses;
  } catch (err) {
    passes = null;
    process.emitWarning(`Enlarging small photos through libvips, more slowly: cover-enlarge.wasm did not load (${(err as Error).message}).`);
  }
  return passes;
}
