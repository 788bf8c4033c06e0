/**
 * "Unlike anything it was trained on": how similar a photo is to the nearest photo the
 * model keeps as a voter (the neighbour vote, vote.ts). A softmax head always picks one of
 * its classes, however foreign the photo (a cat gets "roses 60%"); the vote's kernel holds
 * the training photos' codes, so it can also say when none of them looks like it.
 *
 * The similarity is the cosine between the photo's codes and a voter's, per network,
 * averaged over the networks, for the nearest voter. The vote's first layer stores voter
 * j's codes of network b as w_bj = k̂_bj · share_b / (m_b T), standardised (vote.ts): the
 * kernel divided by the feature's std gives w back, and the direction of w_bj is the
 * voter's, whatever its scale.
 *
 * The threshold is calibrated on photos the vote never held: the validation photos against
 * the training photos' vote, and the test photos against the final vote. Photos of the
 * project's own kinds fall below it only rarely (NOVELTY_PERCENTILE of them).
 */
import type { HeadParams, MemberParams, Tf } from './head';

export interface NoveltyCalibration {
  /** Below this similarity to the nearest training photo, a photo is unlike anything the model was trained on. */
  threshold: number;
  /** How many held-out photos the threshold was calibrated on. */
  photos: number;
}

/** The share of held-out photos of the project's own kinds the threshold lets fall below it. */
export const NOVELTY_PERCENTILE = 0.02;

/** The neighbour vote among a head's members: the one that ends 'linear' (trained members end in softmax). */
export function voteMemberOf(head: HeadParams): MemberParams | null {
  return head.members.find((m) => m.layers.length === 2 && m.layers[1].activation === 'linear') ?? null;
}

/** Per network and voter, the length of the voter's (raw-space) weights: computed once per vote. */
const voterLengths = new WeakMap<MemberParams, Float64Array>();

function lengthsOf(vote: MemberParams, std: Float32Array, blocks: readonly number[]): Float64Array {
  let lengths = voterLengths.get(vote);
  if (lengths) return lengths;
  const { outDim: n, kernel } = vote.layers[0];
  lengths = new Float64Array(blocks.length * n);
  let i = 0;
  blocks.forEach((width, b) => {
    for (const end = i + width; i < end; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) {
        const w = kernel[row + j] / std[i];
        lengths[b * n + j] += w * w;
      }
    }
  });
  for (let t = 0; t < lengths.length; t++) lengths[t] = Math.sqrt(lengths[t]) || 1;
  voterLengths.set(vote, lengths);
  return lengths;
}

/**
 * `rows` × `n` dot products of `u` (`rows` × `width`, row-major) with a block of the vote's
 * kernel (`width` × `n`, row-major). The plain loop below suits one photo (prediction);
 * calibration over hundreds of held-out photos passes a matrix product (fit-model.ts uses
 * TF.js): the loop streams the whole kernel (13 MB for the flowers) once per photo and
 * took 2.2 of a 5 s training run.
 */
export type BlockProduct = (u: Float32Array, rows: number, width: number, kernel: Float32Array, n: number) => Float32Array;

export const loopProduct: BlockProduct = (u, rows, width, kernel, n) => {
  const out = new Float32Array(rows * n);
  const dot = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    dot.fill(0);
    for (let i = 0; i < width; i++) {
      const ui = u[r * width + i];
      if (ui === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) dot[j] += ui * kernel[row + j];
    }
    out.set(dot, r * n);
  }
  return out;
};

/** The same product as one TF.js matrix multiplication (XNNPACK on wasm, Eigen on tfjs-node). */
export function matMulProduct(tf: Tf): BlockProduct {
  return (u, rows, width, kernel, n) => valuesOf(tf.tidy(() => tf.matMul(tf.tensor2d(u, [rows, width]), tf.tensor2d(kernel, [width, n]))));
}

/** A tensor's values, and the tensor disposed. */
function valuesOf(t: ReturnType<Tf['matMul']>): Float32Array {
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

/**
 * matMulProduct for a vote scored again and again (a predictor's): each kernel block is
 * uploaded once and kept. One product belongs to one vote: blocks are told apart by their
 * offset in its kernel. A photo's similarity took 4.5 ms in the loop, most of a prediction's
 * arithmetic after the networks'.
 */
export function keptMatMulProduct(tf: Tf): { product: BlockProduct; dispose(): void } {
  const kept = new Map<number, ReturnType<Tf['tensor2d']>>();
  return {
    product: (u, rows, width, kernel, n) => {
      let block = kept.get(kernel.byteOffset);
      if (!block) {
        block = tf.tensor2d(kernel, [width, n]);
        kept.set(kernel.byteOffset, block);
      }
      const k = block;
      return valuesOf(tf.tidy(() => tf.matMul(tf.tensor2d(u, [rows, width]), k)));
    },
    dispose: () => {
      for (const t of kept.values()) t.dispose();
      kept.clear();
    },
  };
}

/**
 * The similarity from the vote's own products, for a graph that computes the vote's first
 * layer one network's block at a time (netgraph/classifier.ts). With P_b = z_b · K_b, network
 * b's standardised codes times its rows of that layer's kernel, a photo's similarity is
 * max_j Σ_b (P_bj + offset_bj) · scale_bj / |x_b|: offset_bj = Σ_{i∈b} K_ij μ_i / σ_i turns
 * the product back into the raw codes' (what `nearestSimilarities` computes), and scale_bj =
 * 1 / (length_bj · networks). Null when the head has no vote.
 */
export function similarityTerms(head: HeadParams, blocks: readonly number[]): { voters: number; offsets: Float32Array[]; scales: Float32Array[] } | null {
  const vote = voteMemberOf(head);
  if (!vote) return null;
  const { outDim: n, kernel } = vote.layers[0];
  const lengths = lengthsOf(vote, head.std, blocks);
  let start = 0;
  const offsets: Float32Array[] = [];
  const scales: Float32Array[] = [];
  blocks.forEach((width, b) => {
    const offset = new Float64Array(n);
    for (let i = start; i < start + width; i++) {
      const shift = head.mean[i] / head.std[i];
      if (shift === 0) continue;
      for (let j = 0; j < n; j++) offset[j] += kernel[i * n + j] * shift;
    }
    offsets.push(Float32Array.from(offset));
    scales.push(Float32Array.from({ length: n }, (_, j) => 1 / (lengths[b * n + j] * blocks.length)));
    start += width;
  });
  return { voters: n, offsets, scales };
}

/** Rows per product: bounds the `rows` × voters matrices however many photos are probed. */
const CHUNK_ROWS = 256;

/**
 * Each row's similarity to its nearest voter (`x`: raw codes, `rows` × head.inputDim; `blocks`:
 * each network's width, in order), or null when the head has no vote.
 */
export function nearestSimilarities(head: HeadParams, blocks: readonly number[], x: Float32Array, rows: number, product: BlockProduct = loopProduct): Float32Array | null {
  const vote = voteMemberOf(head);
  if (!vote) return null;
  const { inDim: dim, outDim: n, kernel } = vote.layers[0];
  const lengths = lengthsOf(vote, head.std, blocks);
  const out = new Float32Array(rows);
  for (let first = 0; first < rows; first += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, rows - first);
    const cosine = new Float64Array(count * n);
    let start = 0;
    blocks.forEach((width, b) => {
      // The photo's codes in the vote's standardised space, and their raw length.
      const u = new Float32Array(count * width);
      const length = new Float64Array(count);
      for (let r = 0; r < count; r++) {
        let norm = 0;
        for (let i = 0; i < width; i++) {
          const xi = x[(first + r) * dim + start + i];
          norm += xi * xi;
          u[r * width + i] = xi / head.std[start + i];
        }
        length[r] = Math.sqrt(norm) || 1;
      }
      const dots = product(u, count, width, kernel.subarray(start * n, (start + width) * n), n);
      for (let r = 0; r < count; r++) {
        for (let j = 0; j < n; j++) cosine[r * n + j] += dots[r * n + j] / (length[r] * lengths[b * n + j]) / blocks.length;
      }
      start += width;
    });
    for (let r = 0; r < count; r++) {
      let best = -Infinity;
      for (let j = 0; j < n; j++) if (cosine[r * n + j] > best) best = cosine[r * n + j];
      out[first + r] = best;
    }
  }
  return out;
}

/**
 * The threshold from held-out photos: each probe's codes against a vote that does not hold
 * it. Null when there is no vote or no held-out photo to learn it from.
 */
export function calibrateNovelty(
  blocks: readonly number[],
  probes: ReadonlyArray<{ head: HeadParams; x: Float32Array; rows: number }>,
  product: BlockProduct = loopProduct,
): NoveltyCalibration | null {
  const similarities: number[] = [];
  for (const p of probes) {
    if (!p.rows) continue;
    const s = nearestSimilarities(p.head, blocks, p.x, p.rows, product);
    if (s) for (const v of s) similarities.push(v);
  }
  if (!similarities.length) return null;
  similarities.sort((a, b) => a - b);
  // The low percentile, read between the two nearest ranks.
  const at = NOVELTY_PERCENTILE * (similarities.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(similarities.length - 1, lo + 1);
  const threshold = similarities[lo] + (similarities[hi] - similarities[lo]) * (at - lo);
  return { threshold: Math.round(threshold * 1e4) / 1e4, photos: similarities.length };
}

/** Whether a similarity says the photo is unlike anything the model was trained on. */
export function isUnfamiliar(similarity: number, calibration: NoveltyCalibration): boolean {
  return similarity < calibration.threshold;
}
