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
 * down the columns, each output value taking 4 products instead of 20: 2.3 ms here.
 * The codes cached by earlier versions stay valid because not one value changes; a test
 * compares this with sharp on real photos and on many sizes, and fails if an upgraded
 * libvips enlarges differently.
 */

/** libvips' VIPS_TRANSFORM_SCALE (positions per pixel) and VIPS_INTERPOLATE_SHIFT (fixed point). */
const POSITIONS = 64;
const SHIFT = 12;
const HALF = 1 << (SHIFT - 1);

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

/**
 * The row pass's output, kept from photo to photo (up to 1.2 MB at 320 px): a fresh one
 * for each photo cost a tenth of the enlargement. Safe to share: `coverEnlarge` runs
 * start to end without yielding, and each worker thread has its own.
 */
let scratch = new Int32Array(0);

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
 * when `planCoverEnlarge` has no plan for it (the caller lets sharp resize). A caller that
 * already made the plan for these sizes passes it.
 */
export function coverEnlarge(rgb: Uint8Array, width: number, height: number, size: number, plan = planCoverEnlarge(width, height, size)): Uint8Array | null {
  if (!plan) return null;
  const { columns, rows } = plan;
  const stride = size * 3;
  const firstRow = rows.index[0];
  const rowCount = rows.index[size * 4 - 1] - firstRow + 1;
  // Along the rows: each source row the output needs, at the output's columns, rounded as
  // libvips rounds each row of its stencil (not clamped: Catmull-Rom overshoots).
  if (scratch.length < rowCount * stride) scratch = new Int32Array(rowCount * stride);
  const across = scratch;
  const offsets = new Int32Array(size * 4);
  for (let i = 0; i < offsets.length; i++) offsets[i] = columns.index[i] * 3;
  const w = columns.weight;
  for (let r = 0; r < rowCount; r++) {
    const base = (firstRow + r) * width * 3;
    let o = r * stride;
    for (let x = 0, q = 0; x < size; x++, q += 4) {
      const w0 = w[q], w1 = w[q + 1], w2 = w[q + 2], w3 = w[q + 3];
      const p0 = base + offsets[q], p1 = base + offsets[q + 1], p2 = base + offsets[q + 2], p3 = base + offsets[q + 3];
      across[o++] = (w0 * rgb[p0] + w1 * rgb[p1] + w2 * rgb[p2] + w3 * rgb[p3] + HALF) >> SHIFT;
      across[o++] = (w0 * rgb[p0 + 1] + w1 * rgb[p1 + 1] + w2 * rgb[p2 + 1] + w3 * rgb[p3 + 1] + HALF) >> SHIFT;
      across[o++] = (w0 * rgb[p0 + 2] + w1 * rgb[p1 + 2] + w2 * rgb[p2 + 2] + w3 * rgb[p3 + 2] + HALF) >> SHIFT;
    }
  }
  // Down the columns, clamped to 0…255 (a clamped array stores integers clamped, as VIPS_CLIP).
  const out = new Uint8ClampedArray(size * stride);
  const v = rows.weight;
  for (let y = 0, q = 0; y < size; y++, q += 4) {
    const w0 = v[q], w1 = v[q + 1], w2 = v[q + 2], w3 = v[q + 3];
    const r0 = (rows.index[q] - firstRow) * stride;
    const r1 = (rows.index[q + 1] - firstRow) * stride;
    const r2 = (rows.index[q + 2] - firstRow) * stride;
    const r3 = (rows.index[q + 3] - firstRow) * stride;
    const o = y * stride;
    for (let i = 0; i < stride; i++) out[o + i] = (w0 * across[r0 + i] + w1 * across[r1 + i] + w2 * across[r2 + i] + w3 * across[r3 + i] + HALF) >> SHIFT;
  }
  return new Uint8Array(out.buffer);
}
