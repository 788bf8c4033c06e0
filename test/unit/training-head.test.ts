import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { getTf, type Tf } from '../../main/engine/tf/runtime';
import { HEAD_DEFAULTS } from '../../main/engine/training/defaults';
import { predictHead, trainHead, type Examples, type HeadConfig } from '../../main/engine/model/head';
import { crossClassNearDuplicates, outOfFoldProbabilities } from '../../main/engine/model/mistakes';
import { argMax } from '../../main/engine/model/metrics';
import { gaussian, seededRandom } from '../../main/engine/model/rng';
import { assertTestRuntime } from '../helpers/runtime';

let tf: Tf;
before(async () => {
  tf = (await getTf()).tf;
});

/** k Gaussian clusters in `dim` dimensions, `per` rows each. */
function clusters(k: number, per: number, dim: number, seed: number, spread = 1): Examples {
  const r = seededRandom(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: dim }, () => gaussian(r) * 2));
  const x = new Float32Array(k * per * dim);
  const y = new Int32Array(k * per);
  for (let i = 0; i < k * per; i++) {
    y[i] = i % k;
    for (let j = 0; j < dim; j++) x[i * dim + j] = centres[y[i]][j] + gaussian(r) * spread;
  }
  return { x, y, rows: k * per, dim };
}

const small: HeadConfig = { ...HEAD_DEFAULTS, hidden: 32, members: 2, maxEpochs: 30, patience: 5, batchSize: 32 };

function accuracy(probs: Float32Array, y: Int32Array, k: number): number {
  let c = 0;
  for (let i = 0; i < y.length; i++) if (argMax(probs, i * k, k) === y[i]) c++;
  return c / y.length;
}

describe('dense head', () => {
  it('runs on the TF.js runtime GRAFT_RUNTIME forces, or on a fast one', assertTestRuntime);

  it('learns separable classes, leaves no tensors behind, and restores the best epoch', async () => {
    const train = clusters(4, 60, 24, 1);
    const validation = clusters(4, 15, 24, 1);
    const before = tf.memory().numTensors;
    const epochs: number[] = [];
    const result = await trainHead(tf, { config: small, seed: 5, classCount: 4, train, validation, onEpoch: (m) => epochs.push(m.valLoss) });
    const probs = predictHead(tf, result.params, validation.x, validation.rows);
    assert.equal(tf.memory().numTensors, before, 'training and prediction must dispose every tensor');
    assert.ok(accuracy(probs, validation.y, 4) > 0.95, `validation accuracy ${accuracy(probs, validation.y, 4)}`);
    assert.equal(result.history.length, epochs.length);
    const bestLoss = Math.min(...epochs);
    assert.equal(epochs[result.bestEpoch - 1], bestLoss, 'the kept weights are those of the lowest validation loss');
    assert.equal(result.params.members.length, 2);
    // Probabilities sum to one.
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(probs.slice(i * 4, i * 4 + 4).reduce((a, b) => a + b, 0) - 1) < 1e-4);
  });

  it('is reproducible from its seed, and another seed gives other weights', async () => {
    const train = clusters(3, 30, 10, 2);
    const validation = clusters(3, 10, 10, 2);
    const run = (seed: number) => trainHead(tf, { config: { ...small, maxEpochs: 5 }, seed, classCount: 3, train, validation });
    const [a, b, c] = [await run(11), await run(11), await run(12)];
    assert.deepEqual(a.params.members[0].layers[0].kernel, b.params.members[0].layers[0].kernel);
    assert.deepEqual(a.history, b.history);
    assert.notDeepEqual(a.params.members[0].layers[0].kernel, c.params.members[0].layers[0].kernel);
  });

  it('trains a plain softmax head when hidden is 0', async () => {
    const train = clusters(3, 40, 8, 3);
    const r = await trainHead(tf, { config: { ...small, hidden: 0, members: 1, learningRate: 0.01 }, seed: 1, classCount: 3, train, validation: null });
    assert.equal(r.params.members[0].layers.length, 1);
    assert.ok(accuracy(predictHead(tf, r.params, train.x, train.rows), train.y, 3) > 0.9);
  });

  it("trains a softmax head by its closed-form gradient to the weights TF.js's autodiff reaches", async () => {
    // Uneven classes (class weights matter), label smoothing, input dropout, L2 and two members:
    // every term of the loss, and a batch size that leaves a short last batch.
    const data = clusters(3, 50, 16, 8, 1.5);
    const keep = Array.from({ length: data.rows }, (_, i) => i).filter((i) => data.y[i] !== 2 || i % 2 === 0);
    const train: Examples = {
      x: Float32Array.from(keep.flatMap((i) => Array.from(data.x.subarray(i * 16, (i + 1) * 16)))),
      y: Int32Array.from(keep, (i) => data.y[i]),
      rows: keep.length,
      dim: 16,
    };
    const validation = clusters(3, 10, 16, 9, 1.5);
    const config: HeadConfig = { ...HEAD_DEFAULTS, hidden: 0, members: 2, maxEpochs: 6, patience: 100, batchSize: 24, labelSmoothing: 0.1, inputDropout: 0.2, l2: 1e-2, learningRate: 0.01 };
    const before = tf.memory().numTensors;
    const closed = await trainHead(tf, { config, seed: 3, classCount: 3, train, validation });
    const autodiff = await trainHead(tf, { config, seed: 3, classCount: 3, train, validation, autodiff: true });
    assert.equal(tf.memory().numTensors, before, 'both trainers dispose every tensor');
    assert.equal(closed.bestEpoch, autodiff.bestEpoch);
    for (let m = 0; m < 2; m++) {
      const [a, b] = [closed.params.members[m].layers[0], autodiff.params.members[m].layers[0]];
      const gap = Math.max(...Array.from(a.kernel, (v, j) => Math.abs(v - b.kernel[j])), ...Array.from(a.bias, (v, j) => Math.abs(v - b.bias[j])));
      assert.ok(gap < 1e-4, `member ${m}: weights differ by ${gap}`);
      // Six epochs of Adam at 0.01 move the weights far from where they started.
      const moved = Math.max(...Array.from(a.bias, Math.abs));
      assert.ok(moved > 1e-2, `member ${m}: bias moved only ${moved}`);
    }
    closed.history.forEach((e, i) => {
      const o = autodiff.history[i];
      assert.ok(Math.abs(e.loss - o.loss) < 1e-4 && Math.abs(e.valLoss - o.valLoss) < 1e-4, `epoch ${i + 1}: ${JSON.stringify(e)} against ${JSON.stringify(o)}`);
      assert.equal(e.accuracy, o.accuracy, `epoch ${i + 1}: training accuracy`);
    });
  });

  it('stops within a batch when cancelled and frees its tensors', async () => {
    const train = clusters(3, 400, 64, 4);
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    let epochs = 0;
    const onEpoch = () => {
      epochs++;
      controller.abort();
    };
    const p = trainHead(tf, { config: { ...small, maxEpochs: 1000, patience: 1000 }, seed: 1, classCount: 3, train, validation: null, signal: controller.signal, onEpoch });
    await assert.rejects(p, (err: Error & { code?: string }) => err.code === 'cancelled');
    // Cancelled at the end of the first epoch: the second stopped at its first batch.
    assert.equal(epochs, 1, 'no epoch ran after the cancel');
    assert.equal(tf.memory().numTensors, before);
  });

  it('scores every image out of fold and finds cross-class near-duplicates', async () => {
    const data = clusters(3, 30, 12, 6, 0.5);
    // Row 0 (class 0) gets an exact twin labelled class 1.
    const x = new Float32Array((data.rows + 1) * data.dim);
    x.set(data.x);
    x.set(data.x.subarray(0, data.dim), data.rows * data.dim);
    const labels = Int32Array.from([...data.y, 1]);
    const before = tf.memory().numTensors;
    const probs = await outOfFoldProbabilities(tf, { config: { ...small, maxEpochs: 20, learningRate: 0.01 }, seed: 1, folds: 5, classCount: 3, x, dim: data.dim, labels });
    assert.equal(probs.length, labels.length * 3);
    assert.ok(accuracy(probs, labels, 3) > 0.9);
    const pairs = await crossClassNearDuplicates(tf, x, data.dim, labels, 0.99, 10);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(pairs.map((p) => [p.a, p.b]), [[0, data.rows]]);
    assert.ok(pairs[0].similarity > 0.9999);
  });
});
