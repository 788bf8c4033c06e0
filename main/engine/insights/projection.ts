/**
 * A 2-D map of the cached codes: the first two principal components of the images'
 * codes (each backbone's slice scaled to unit length first, so every backbone counts
 * the same and the map shows the directions cosine similarity sees).
 *
 * PCA by block power (subspace) iteration on X·Xᵀ-free products: each step multiplies
 * the centred n×d matrix by a d×2 block and back, O(n·d), never forming the d×d
 * covariance. Rows are processed in chunks that yield to the event loop, so a
 * 10,000-image map is computed without stalling the app.
 */
import type { ProjectionResult } from '../../../shared/api/insights';
import type { Db } from '../catalogue/open';
import { codeCounts } from '../codes/store';
import { buildFeatureTable } from '../model/features';
import { currentRunId, getRun } from '../training/runs';
import { yieldToEventLoop } from '../event-loop';
import { readCodesGently } from '../training/read-codes-gently';

const MAX_ITERATIONS = 40;
/** 1 − |cos| of successive axes: well below what moves a dot by a pixel. */
const TOLERANCE = 1e-5;
/**
 * The axes are fitted on at most this many evenly spaced images, then every image is
 * placed on them: the top two directions of 2,000 codes are as good as of 10,000 for a
 * picture, and fitting costs 5× less (a 10,000-image map went from ~20 s to ~4 s).
 */
const FIT_ROWS = 2000;
/** Rows per chunk between yields. */
const CHUNK_ROWS = 400;

export async function computeProjection(db: Db, signal?: AbortSignal): Promise<ProjectionResult> {
  const started = Date.now();
  const runId = currentRunId(db);
  const backbones = runId ? getRun(db, runId).backbones : mostCachedBackbone(db);
  const empty: ProjectionResult = { runId, backbones, method: 'pca', imageIds: [], x: [], y: [], explained: [0, 0], seconds: 0 };
  if (!backbones.length) return empty;
  const allIds = db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[];
  const table = buildFeatureTable(await readCodesGently(db, backbones, ['center'], allIds), backbones, ['center'], allIds);
  const n = table.imageIds.length;
  if (n === 0) return empty;
  await yieldToEventLoop();
  const x = unitPerBackbone(table.rows.center!, table.dims);
  await yieldToEventLoop();
  const pca = await principalComponents(x, n, table.dim, signal);
  const scale = Math.max(maxAbs(pca.a), maxAbs(pca.b)) || 1;
  return {
    runId,
    backbones,
    method: 'pca',
    imageIds: table.imageIds,
    x: Array.from(pca.a, (v) => round4(v / scale)),
    y: Array.from(pca.b, (v) => round4(v / scale)),
    explained: [round4(pca.explained[0]), round4(pca.explained[1])],
    seconds: Math.round((Date.now() - started) / 10) / 100,
  };
}

/** Without a trained model: the backbone with the most cached codes. */
function mostCachedBackbone(db: Db): string[] {
  const best = codeCounts(db)
    .filter((c) => c.view === 'center')
    .sort((a, b) => b.count - a.count)[0];
  return best ? [best.backbone] : [];
}

export interface Components {
  /** Scores on the first and second component, one per row. */
  a: Float64Array;
  b: Float64Array;
  /** Variance share of each component. */
  explained: [number, number];
  iterations: number;
}

/** The top two principal components' scores of the n×d row-major matrix `x`. */
export async function principalComponents(x: Float32Array, n: number, d: number, signal?: AbortSignal): Promise<Components> {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    if (r % CHUNK_ROWS === CHUNK_ROWS - 1) await yieldToEventLoop();
    for (let j = 0, o = r * d; j < d; j++) mean[j] += x[o + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  let total = 0;
  for (let r = 0; r < n; r++) {
    if (r % CHUNK_ROWS === CHUNK_ROWS - 1) await yieldToEventLoop();
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
    if (signal?.aborted) throw new Error('cancelled');
    const [w1, w2] = await covarianceTimes(fit.x, mean, fit.n, d, v1, v2);
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
    if (r > 0 && r % CHUNK_ROWS === 0) await yieldToEventLoop();
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

/** (Xcᵀ Xc) · [v1 v2], chunk by chunk. */
async function covarianceTimes(x: Float32Array, mean: Float64Array, n: number, d: number, v1: Float64Array, v2: Float64Array): Promise<[Float64Array, Float64Array]> {
  const w1 = new Float64Array(d);
  const w2 = new Float64Array(d);
  for (let start = 0; start < n; start += CHUNK_ROWS) {
    const end = Math.min(n, start + CHUNK_ROWS);
    for (let r = start; r < end; r++) {
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
    await yieldToEventLoop();
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

function unitPerBackbone(x: Float32Array, dims: number[]): Float32Array {
  const dim = dims.reduce((a, b) => a + b, 0);
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let o = r * dim;
    for (const d of dims) {
      let sq = 0;
      for (let j = 0; j < d; j++) sq += x[o + j] ** 2;
      const s = sq > 0 ? 1 / Math.sqrt(sq * dims.length) : 0;
      for (let j = 0; j < d; j++) out[o + j] = x[o + j] * s;
      o += d;
    }
  }
  return out;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
