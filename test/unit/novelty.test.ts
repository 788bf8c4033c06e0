import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featureStats, type Examples, type HeadParams } from '../../main/engine/model/head';
import { withVote } from '../../main/engine/model/vote';
import { calibrateNovelty, isUnfamiliar, keptMatMulProduct, matMulProduct, nearestSimilarities, NOVELTY_PERCENTILE } from '../../main/engine/model/novelty';
import { seededRandom } from '../../main/engine/model/rng';
import { getTf } from '../../main/engine/tf/runtime';
import { decodeModel, encodeModel } from '../../main/engine/model/stored-model';

/** Non-negative codes in two blocks of widths 3 and 2, like two networks' pooled ReLU maps. */
const blocks = [3, 2];
const train: Examples = {
  x: Float32Array.from([1, 0, 0, 1, 0, /**/ 0, 1, 1, 0, 1, /**/ 5, 0.2, 0, 4, 0.1, /**/ 0, 1, 0.9, 0.1, 1]),
  y: Int32Array.from([0, 1, 0, 1]),
  rows: 4,
  dim: 5,
};

function votingHead(shares?: number[]): HeadParams {
  const { mean, std } = featureStats(train);
  return withVote({ inputDim: 5, classCount: 2, mean, std, members: [] }, train, { temperature: 0.05, blocks, shares, seed: 1 });
}

/** The plain definition: per block the cosine, averaged over blocks, for the nearest row of `train`. */
function expected(x: number[]): number {
  const cos = (a: number[], b: number[]) => a.reduce((d, v, i) => d + v * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b));
  let best = -Infinity;
  for (let r = 0; r < train.rows; r++) {
    const row = Array.from(train.x.subarray(r * 5, r * 5 + 5));
    best = Math.max(best, (cos(x.slice(0, 3), row.slice(0, 3)) + cos(x.slice(3), row.slice(3))) / 2);
  }
  return best;
}

describe('novelty: similarity to the nearest voter', () => {
  it('is the per-network cosine to the nearest training photo, averaged, whatever the vote\'s shares and scale', () => {
    for (const shares of [undefined, [0.8, 0.2]]) {
      const head = votingHead(shares);
      const photos = [[1, 0, 0, 1, 0], [2, 0.1, 0, 3, 0], [0, 0, 1, 0, 1], [0.3, 0.3, 0.3, 0.5, 0.5]];
      const got = nearestSimilarities(head, blocks, Float32Array.from(photos.flat()), photos.length)!;
      photos.forEach((p, i) => assert.ok(Math.abs(got[i] - expected(p)) < 1e-5, `photo ${i}: ${got[i]} vs ${expected(p)}`));
      assert.ok(Math.abs(got[0] - 1) < 1e-5, 'a voter itself is as similar as can be');
    }
  });

  it('comes out the same from a TF.js matrix product as from the loop, over more photos than one chunk', async () => {
    const { tf } = await getTf();
    const random = seededRandom(3);
    const voters: Examples = { x: Float32Array.from({ length: 40 * 5 }, () => (random() < 0.2 ? 0 : random() * 6)), y: Int32Array.from({ length: 40 }, (_, i) => i % 2), rows: 40, dim: 5 };
    const { mean, std } = featureStats(voters);
    const head = withVote({ inputDim: 5, classCount: 2, mean, std, members: [] }, voters, { temperature: 0.05, blocks, seed: 1 });
    const rows = 300;
    const x = Float32Array.from({ length: rows * 5 }, () => random() * 4);
    const loop = nearestSimilarities(head, blocks, x, rows)!;
    const before = tf.memory().numTensors;
    const product = nearestSimilarities(head, blocks, x, rows, matMulProduct(tf))!;
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    assert.equal(product.length, rows);
    for (let r = 0; r < rows; r++) assert.ok(Math.abs(loop[r] - product[r]) < 1e-5, `photo ${r}: ${loop[r]} vs ${product[r]}`);
    // The last chunk's photos are really scored, not left at zero.
    assert.ok(product.subarray(256).every((s) => s > 0.1));

    // A predictor's product keeps the kernel's blocks: the same answers every time, and its
    // tensors go when it is disposed.
    const tensors = tf.memory().numTensors;
    const kept = keptMatMulProduct(tf);
    for (let round = 0; round < 2; round++) {
      const again = nearestSimilarities(head, blocks, x.subarray(0, 5 * 5), 5, kept.product)!;
      for (let r = 0; r < 5; r++) assert.ok(Math.abs(loop[r] - again[r]) < 1e-5, `round ${round}, photo ${r}: ${loop[r]} vs ${again[r]}`);
    }
    assert.equal(tf.memory().numTensors, tensors + blocks.length, 'one kept tensor per network');
    kept.dispose();
    assert.equal(tf.memory().numTensors, tensors);
  });

  it('is null for a head without a vote', () => {
    const { mean, std } = featureStats(train);
    assert.equal(nearestSimilarities({ inputDim: 5, classCount: 2, mean, std, members: [] }, blocks, train.x, 4), null);
  });

  it('calibrates the threshold as a low percentile of held-out photos, and flags what falls below it', () => {
    const head = votingHead();
    const probes = Array.from({ length: 50 }, (_, i) => [1, (i % 7) / 10, 0, 1, (i % 5) / 10]);
    const cal = calibrateNovelty(blocks, [{ head, x: Float32Array.from(probes.flat()), rows: probes.length }])!;
    assert.equal(cal.photos, 50);
    const sims = Array.from(nearestSimilarities(head, blocks, Float32Array.from(probes.flat()), probes.length)!).sort((a, b) => a - b);
    assert.ok(cal.threshold >= sims[0] && cal.threshold <= sims[Math.ceil(NOVELTY_PERCENTILE * 50)], `threshold ${cal.threshold} among the lowest`);
    assert.ok(probes.filter((_, i) => isUnfamiliar(sims[i], cal)).length <= Math.ceil(NOVELTY_PERCENTILE * 50));
    // Orthogonal to every voter in the first network, off in the second: unfamiliar.
    const foreign = nearestSimilarities(head, blocks, Float32Array.from([0, 0, 0.01, 0.01, 0]), 1)![0];
    assert.equal(isUnfamiliar(foreign, cal), true, `similarity ${foreign} below ${cal.threshold}`);
    assert.equal(calibrateNovelty(blocks, [{ head, x: new Float32Array(0), rows: 0 }]), null, 'nothing held out: nothing to calibrate on');
  });

  it('travels with the stored model', () => {
    const { mean, std } = featureStats(train);
    const model = { classes: ['a', 'b'], backbones: [{ id: 'x', dim: 3 }, { id: 'y', dim: 2 }], views: ['center' as const], head: votingHead(), novelty: { threshold: 0.5, photos: 9 } };
    assert.deepEqual(decodeModel(encodeModel(model)).novelty, { threshold: 0.5, photos: 9 });
    assert.equal(decodeModel(encodeModel({ ...model, head: { inputDim: 5, classCount: 2, mean, std, members: [] }, novelty: undefined })).novelty, undefined);
  });
});
