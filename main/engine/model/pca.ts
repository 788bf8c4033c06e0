/**
 * The top two principal components of a set of codes, for the embedding map: block power
 * (subspace) iteration with products that never form the d×d covariance (each step
 * multiplies the centred n×d matrix by a d×2 block and back, O(n·d)). Pure and
 * synchronous: it runs in a worker thread.
 */
import { GraftError, type CancelSignal } from '../errors';

const MAX_ITERATIONS = 40;
/** 1 − |cos| of successive axes: well below what moves a dot by a pixel. */
const TOLERANCE = 1e-5;
/**
 * The axes are fitted on at most this many evenly spaced images, then every image is
 * placed on them: the top two directions of 2,000 codes are as good as of 10,000 for a
 * picture, and fitting costs 5× less (a 10,000-image map went from ~20 s to ~4 s).
 */
const FIT_ROWS = 2000;

export interface Components {
  /** Scores on the first and second component, one per row. */
  a: Float64Array;
  b: Float64Array;
  /** Variance share of each component. */
  explained: [number, number];
  iterations: number;
}

/** The top two principal components' scores of the n×d row-major matrix `x`. */
export function principalComponents(x: Float32Array, n: number, d: number, signal?: CancelSignal): Components {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0, o = r * d; j < d; j++) mean[j] += x[o + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  let total = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0, o = r * d; j < d; j++) total += (x[o + j] - mean[j]) ** 2;
  }

  const fit = n > FIT_ROWS ? evenlySpacedRows(x, n, d, FIT_ROWS) : { x, n };
  // A fixed, spread-out start (not random: the same codes always give the same map).
  let v1: Float64Array = new Float64Array(d).map((_, j) => Math.sin(j * 12.9898 + 1) + 1e-3);
  let v2: Float64Array = new Float64Array(d).map((_, j) => Math.cos(j * 78.233 + 2) + 1e-3);
  orthonormalise(v1, v2);
  let iterations = 0;
  let lambda: [number, number] = [0, 0];
  for (; iterations < MAX_ITERATIONS; iterations++) {
    if (signal?.aborted) throw new GraftError('cancelled', 'Cancelled.');
    const [w1, w2] = covarianceTimes(fit.x, mean, fit.n, d, v1, v2);
    lambda = [dot(v1, w1), dot(v2, w2)];
    orthonormalise(w1, w2);
    const change = 2 - Math.abs(dot(w1, v1)) - Math.abs(dot(w2, v2));
    v1 = w1;
    v2 = w2;
    if (change < TOLERANCE) break;
  }
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s1 = 0;
    let s2 = 0;
    for (let j = 0, o = r * d; j < d; j++) {
      const c = x[o + j] - mean[j];
      s1 += c * v1[j];
      s2 += c * v2[j];
    }
    a[r] = s1;
    b[r] = s2;
  }
  // lambda is measured on the fitted rows: scale the total variance to match.
  const share = (l: number) => (total > 0 ? Math.max(0, l) / ((total * fit.n) / n) : 0);
  return { a, b, explained: [share(lambda[0]), share(lambda[1])], iterations };
}

function evenlySpacedRows(x: Float32Array, n: number, d: number, count: number): { x: Float32Array; n: number } {
  const out = new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    const r = Math.floor((i * n) / count);
    out.set(x.subarray(r * d, (r + 1) * d), i * d);
  }
  return { x: out, n: count };
}

/** (Xcᵀ Xc) · [v1 v2], row by row. */
function covarianceTimes(x: Float32Array, mean: Float64Array, n: number, d: number, v1: Float64Array, v2: Float64Array): [Float64Array, Float64Array] {
  const w1 = new Float64Array(d);
  const w2 = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < d; j++) {
      const c = x[o + j] - mean[j];
      s1 += c * v1[j];
      s2 += c * v2[j];
    }
    for (let j = 0; j < d; j++) {
      const c = x[o + j] - mean[j];
      w1[j] += c * s1;
      w2[j] += c * s2;
    }
  }
  return [w1, w2];
}

/** Gram–Schmidt on two vectors, in place. */
function orthonormalise(a: Float64Array, b: Float64Array): void {
  scaleTo1(a);
  const p = dot(a, b);
  for (let j = 0; j < b.length; j++) b[j] -= p * a[j];
  scaleTo1(b);
}

function scaleTo1(v: Float64Array): void {
  const norm = Math.sqrt(dot(v, v)) || 1;
  for (let j = 0; j < v.length; j++) v[j] /= norm;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

