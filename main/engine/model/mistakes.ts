/**
 * Likely label mistakes, found without trusting the model on images it trained on:
 *
 * - Out-of-fold scoring: the labelled images are dealt into k stratified folds; a head
 *   trained on k−1 folds scores the held-out one. Each image's probabilities therefore
 *   come from a model that never saw its (possibly wrong) label.
 * - Confident learning (Northcutt et al., 2021): a class's threshold is the mean
 *   out-of-fold probability of that class over the images labelled with it. An image is
 *   a suspect when another class reaches that class's threshold and beats the given
 *   label; suspects are ranked by margin (p[other] − p[label]).
 * - Near-duplicates across classes: pairs of images with different labels whose codes
 *   are almost identical (cosine similarity), found with one matrix product.
 */
import { GraftError, type CancelSignal } from '../errors';
import { trainHead, predictHead, type HeadConfig, type Tf } from './head';
import { deriveSeed, seededRandom, shuffleInPlace } from './rng';

export interface OutOfFoldOptions {
  config: HeadConfig;
  seed: number;
  folds: number;
  classCount: number;
  /** Row-major n × dim. */
  x: Float32Array;
  dim: number;
  labels: Int32Array;
  signal?: CancelSignal;
  onFold?: (done: number, total: number) => void;
}

/** n × k out-of-fold probabilities. */
export async function outOfFoldProbabilities(tf: Tf, o: OutOfFoldOptions): Promise<Float32Array> {
  const n = o.labels.length;
  const k = o.classCount;
  const folds = stratifiedFolds(o.labels, k, Math.max(2, Math.min(o.folds, n)), o.seed);
  const out = new Float32Array(n * k);
  const pick = (idx: number[]) => {
    const x = new Float32Array(idx.length * o.dim);
    idx.forEach((i, r) => x.set(o.x.subarray(i * o.dim, (i + 1) * o.dim), r * o.dim));
    return { x, y: Int32Array.from(idx, (i) => o.labels[i]), rows: idx.length, dim: o.dim };
  };
  for (let f = 0; f < folds.length; f++) {
    if (o.signal?.aborted) throw new GraftError('cancelled', 'Cancelled.');
    const held = folds[f];
    const rest = folds.filter((_, g) => g !== f).flat();
    if (!held.length || !rest.length) continue;
    // No validation set inside a fold: a fixed epoch budget, tuned on the flowers.
    const trained = await trainHead(tf, {
      config: o.config,
      seed: deriveSeed(o.seed, `fold:${f}`),
      classCount: k,
      train: pick(rest),
      validation: null,
      signal: o.signal,
    });
    const probs = predictHead(tf, trained.params, pick(held).x, held.length);
    held.forEach((i, r) => out.set(probs.subarray(r * k, (r + 1) * k), i * k));
    o.onFold?.(f + 1, folds.length);
  }
  return out;
}

export function stratifiedFolds(labels: Int32Array, k: number, folds: number, seed: number): number[][] {
  const out: number[][] = Array.from({ length: folds }, () => []);
  const random = seededRandom(deriveSeed(seed, 'folds'));
  for (let c = 0; c < k; c++) {
    const members = shuffleInPlace(
      Array.from(labels.keys()).filter((i) => labels[i] === c),
      random,
    );
    members.forEach((i, j) => out[j % folds].push(i));
  }
  return out;
}

export interface RankedSuspect {
  index: number;
  predicted: number;
  confidence: number;
  labelProbability: number;
  margin: number;
}

export function confidentLearningSuspects(probs: Float32Array, labels: Int32Array, k: number): RankedSuspect[] {
  const n = labels.length;
  const sum = new Float64Array(k);
  const count = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    sum[labels[i]] += probs[i * k + labels[i]];
    count[labels[i]]++;
  }
  const threshold = Array.from(sum, (s, c) => (count[c] ? s / count[c] : 1));
  const suspects: RankedSuspect[] = [];
  for (let i = 0; i < n; i++) {
    const given = labels[i];
    const pGiven = probs[i * k + given];
    let best = -1;
    for (let c = 0; c < k; c++) {
      if (c === given) continue;
      const p = probs[i * k + c];
      if (p >= threshold[c] && p > pGiven && (best < 0 || p > probs[i * k + best])) best = c;
    }
    if (best >= 0) {
      const p = probs[i * k + best];
      suspects.push({ index: i, predicted: best, confidence: p, labelProbability: pGiven, margin: p - pGiven });
    }
  }
  return suspects.sort((a, b) => b.margin - a.margin || a.index - b.index);
}

/** Rows compared with all the others per step of `crossClassNearDuplicates`: bounds the similarity block's memory (256 × n floats). */
const NEAR_DUPLICATE_BLOCK = 256;

export interface SimilarPair {
  a: number;
  b: number;
  similarity: number;
}

/**
 * Pairs (a < b) with different labels and cosine similarity ≥ threshold, most similar
 * first, at most `limit`. It works in blocks of rows, so the similarity matrix of 10,000
 * images (400 MB) never exists at once; it runs in a worker thread.
 */
export function crossClassNearDuplicates(tf: Tf, x: Float32Array, dim: number, labels: Int32Array, threshold: number, limit: number): SimilarPair[] {
  const n = labels.length;
  if (n < 2) return [];
  const rows = new Float32Array(n * dim);
  // Column-major copy for the right-hand side: the wasm backend's transposed matMul is very slow.
  const columns = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let sq = 0;
    for (let j = 0; j < dim; j++) sq += x[r * dim + j] * x[r * dim + j];
    const scale = 1 / Math.max(Math.sqrt(sq), 1e-12);
    for (let j = 0; j < dim; j++) {
      const v = x[r * dim + j] * scale;
      rows[r * dim + j] = v;
      columns[j * n + r] = v;
    }
  }
  const pairs: SimilarPair[] = [];
  const normedT = tf.tensor2d(columns, [dim, n]);
  try {
    for (let start = 0; start < n; start += NEAR_DUPLICATE_BLOCK) {
      const size = Math.min(NEAR_DUPLICATE_BLOCK, n - start);
      const sims = tf.tidy(() => tf.matMul(tf.tensor2d(rows.subarray(start * dim, (start + size) * dim), [size, dim]), normedT));
      const values = sims.dataSync();
      sims.dispose();
      for (let r = 0; r < size; r++) {
        const a = start + r;
        for (let b = a + 1; b < n; b++) {
          const s = values[r * n + b];
          if (s >= threshold && labels[a] !== labels[b]) pairs.push({ a, b, similarity: Math.min(1, s) });
        }
      }
    }
  } finally {
    normedT.dispose();
  }
  return pairs.sort((p, q) => q.similarity - p.similarity).slice(0, limit);
}
