/**
 * A soft nearest-neighbour vote over labelled images' codes, added to a trained head
 * as one more member whose probabilities are averaged with the others'. It is the one
 * addition to the head that scored better on photos the model never saw
 * (docs/experiments.md, round 7): a linear head and a vote by the nearest training photos
 * are wrong on different photos.
 *
 * It is written as two dense layers so that prediction, the stored format and both export
 * formats run it with no new kind of layer:
 *
 *   layer 1  s_j = Σ_b w_b x_b · k̂_bj / m_b,  then softmax over j of s_j / T
 *   layer 2  p_c = Σ_j softmax_j · [y_j = c]      (one-hot kernel, no activation)
 *
 * where x_b is the photo's codes from network b (of B), k̂_bj training photo j's codes from
 * network b scaled to unit length, m_b the mean length of network b's training codes, and
 * w_b network b's share of the similarity (the shares sum to 1; equal unless given).
 * Scaling the photo by that constant rather than by its own length (a true cosine) keeps
 * layer 1 linear in x, and scores the same (round 7). Members read standardised
 * input z = (x − μ) / σ, so layer 1 is written in that space: x = z·σ + μ.
 */
import type { DenseParams, Examples, HeadParams, MemberParams } from './head';
import { deriveSeed, seededRandom, shuffleInPlace } from './rng';

/**
 * At most this many images are kept as voters (a seeded sample beyond it): the
 * kernel grows with them (2,000 × 2,048 codes = 16 MB stored with the run) and so does
 * the cost of scoring every image after training.
 */
export const VOTE_MAX_VOTERS = 2000;

export interface VoteOptions {
  /** Softmax temperature of the similarities (HeadSettings.vote). */
  temperature: number;
  /** Width of each network's block of the codes, in order (they sum to the codes' width). */
  blocks: number[];
  /** Each network's share of the similarity, in the blocks' order; absent = equal shares. */
  shares?: number[];
  seed: number;
}

/**
 * The head with the vote of `train`'s images appended as its last member. train.ts passes
 * the training images for anything judged on validation, and the training and validation
 * images for the model it stores.
 */
export function withVote(head: HeadParams, train: Examples, options: VoteOptions): HeadParams {
  if (train.rows === 0) return head;
  return { ...head, members: [...head.members, voteMember(head, train, options)] };
}

function voteMember(head: HeadParams, train: Examples, { temperature, blocks, shares, seed }: VoteOptions): MemberParams {
  const { dim } = train;
  if (blocks.reduce((a, b) => a + b, 0) !== dim) throw new Error(`Vote blocks ${blocks.join('+')} do not add up to ${dim}`);
  const share = normalisedShares(shares, blocks.length);
  const voters = Array.from({ length: train.rows }, (_, i) => i);
  if (voters.length > VOTE_MAX_VOTERS) {
    shuffleInPlace(voters, seededRandom(deriveSeed(seed, 'vote')));
    voters.length = VOTE_MAX_VOTERS;
    voters.sort((a, b) => a - b);
  }
  const n = voters.length;
  const k = head.classCount;

  // Per network: the mean length of its training codes (over all training rows, not
  // only the voters, so the sample does not move the scale).
  const starts = blocks.map((_, b) => blocks.slice(0, b).reduce((a, w) => a + w, 0));
  const meanLength = blocks.map((width, b) => {
    let sum = 0;
    for (let r = 0; r < train.rows; r++) sum += Math.sqrt(squaredLength(train.x, r * dim + starts[b], width));
    return sum / train.rows || 1;
  });

  const kernel = new Float32Array(dim * n);
  const bias = new Float64Array(n);
  voters.forEach((row, j) => {
    blocks.forEach((width, b) => {
      const at = row * dim + starts[b];
      const length = Math.sqrt(squaredLength(train.x, at, width)) || 1;
      const scale = share[b] / (length * meanLength[b] * temperature);
      for (let t = 0; t < width; t++) {
        const i = starts[b] + t;
        const w = train.x[at + t] * scale;
        kernel[i * n + j] = w * head.std[i];
        bias[j] += w * head.mean[i];
      }
    });
  });
  const labels = new Float32Array(n * k);
  voters.forEach((row, j) => (labels[j * k + train.y[row]] = 1));
  const similarity: DenseParams = { inDim: dim, outDim: n, kernel, bias: Float32Array.from(bias), activation: 'softmax' };
  const tally: DenseParams = { inDim: n, outDim: k, kernel: labels, bias: new Float32Array(k), activation: 'linear' };
  return { layers: [similarity, tally] };
}

/** Shares scaled to sum to 1; equal ones when absent. */
export function normalisedShares(shares: number[] | undefined, count: number): number[] {
  if (!shares) return Array.from({ length: count }, () => 1 / count);
  const total = shares.reduce((a, b) => a + b, 0);
  if (shares.length !== count || !(total > 0) || shares.some((w) => !(w >= 0))) {
    throw new Error(`Vote shares ${shares.join(',')} do not fit ${count} networks`);
  }
  return shares.map((w) => w / total);
}

function squaredLength(x: Float32Array, at: number, width: number): number {
  let s = 0;
  for (let t = 0; t < width; t++) s += x[at + t] * x[at + t];
  return s;
}
