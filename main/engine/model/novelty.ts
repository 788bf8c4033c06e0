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
import type { HeadParams, MemberParams } from './head';

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
 * Each row's similarity to its nearest voter (`x`: raw codes, `rows` × head.inputDim; `blocks`:
 * each network's width, in order), or null when the head has no vote.
 */
export function nearestSimilarities(head: HeadParams, blocks: readonly number[], x: Float32Array, rows: number): Float32Array | null {
  const vote = voteMemberOf(head);
  if (!vote) return null;
  const { inDim: dim, outDim: n, kernel } = vote.layers[0];
  const lengths = lengthsOf(vote, head.std, blocks);
  const out = new Float32Array(rows);
  const cosine = new Float64Array(n);
  const dot = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    cosine.fill(0);
    let i = 0;
    blocks.forEach((width, b) => {
      dot.fill(0);
      let norm = 0;
      for (const end = i + width; i < end; i++) {
        const xi = x[r * dim + i];
        if (xi === 0) continue;
        norm += xi * xi;
        const u = xi / head.std[i];
        const row = i * n;
        for (let j = 0; j < n; j++) dot[j] += u * kernel[row + j];
      }
      const length = Math.sqrt(norm) || 1;
      for (let j = 0; j < n; j++) cosine[j] += dot[j] / (length * lengths[b * n + j]) / blocks.length;
    });
    let best = -Infinity;
    for (let j = 0; j < n; j++) if (cosine[j] > best) best = cosine[j];
    out[r] = best;
  }
  return out;
}

/**
 * The threshold from held-out photos: each probe's codes against a vote that does not hold
 * it. Null when there is no vote or no held-out photo to learn it from.
 */
export function calibrateNovelty(blocks: readonly number[], probes: ReadonlyArray<{ head: HeadParams; x: Float32Array; rows: number }>): NoveltyCalibration | null {
  const similarities: number[] = [];
  for (const p of probes) {
    if (!p.rows) continue;
    const s = nearestSimilarities(p.head, blocks, p.x, p.rows);
    if (s) similarities.push(...s);
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
