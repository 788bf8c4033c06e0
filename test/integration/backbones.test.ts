import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadBackbone } from '../../main/engine/tf/backbone';
import { preprocessBatch } from '../../main/engine/tf/preprocess';
import { getBackbone } from '../../main/engine/tf/registry';
import { getTf } from '../../main/engine/tf/runtime';
import { modelsDir, testdataDir } from '../helpers/paths';
import { assertTestRuntime } from '../helpers/runtime';

const labels = JSON.parse(fs.readFileSync(path.join(testdataDir, 'imagenet_labels_1000.json'), 'utf8')) as string[];
const chelsea = path.join(testdataDir, 'chelsea.png');
const coffee = path.join(testdataDir, 'coffee.png');
const cats = /tabby|egyptian cat|tiger cat/i;

async function top(id: string, k: number): Promise<string[][]> {
  const bb = await loadBackbone(id, { modelsDir });
  const { tf } = bb;
  const x = await preprocessBatch(tf, [chelsea, coffee], getBackbone(id));
  const probs = (bb.layersModel ? bb.layersModel.predict(x) : bb.graphModel!.predict(x)) as import('@tensorflow/tfjs').Tensor2D;
  const { indices, values } = tf.topk(probs, k);
  const idx = (await indices.array()) as number[][];
  tf.dispose([x, probs, indices, values]);
  bb.dispose();
  // The TF Hub graph has 1001 outputs, index 0 = background.
  const offset = getBackbone(id).imagenetHead?.labels === 'imagenet1001' ? 1 : 0;
  return idx.map((row) => row.map((i) => labels[i - offset]));
}

describe('backbones: weights, layer order and preprocessing are right', () => {
  it('runs on the TF.js runtime GRAFT_RUNTIME forces, or on a fast one (never silently on the plain-JS cpu backend)', assertTestRuntime);

  for (const id of ['mobilenet_v1_0.25_224', 'mobilenet_v1_0.75_224', 'tfhub_mobilenet_v1_025_224_classification']) {
    it(`${id}: coffee.png is espresso (top 1), chelsea.png a cat (top 2)`, async () => {
      const [cat, cup] = await top(id, 2);
      assert.equal(cup[0], 'espresso', `coffee → ${cup.join(', ')}`);
      assert.ok(cat.some((l) => cats.test(l)), `chelsea → ${cat.join(', ')}`);
    });
  }

  it('an entry at another image size runs its base network\'s files on bigger images', async () => {
    const at320 = await loadBackbone('mobilenet_v1_0.75_224_at320', { modelsDir });
    const base = await loadBackbone('mobilenet_v1_0.75_224', { modelsDir });
    assert.equal(at320.weights.dir, base.weights.dir, 'no files of its own');
    assert.equal(at320.inputSize, 320);
    assert.deepEqual(at320.layersModel!.inputs[0].shape, [null, 320, 320, 3]);
    assert.equal(at320.dim, base.dim);
    const [big] = await at320.embedImages([coffee]);
    const [small] = await base.embedImages([coffee]);
    let dot = 0, a = 0, b = 0;
    for (let i = 0; i < big.length; i++) [dot, a, b] = [dot + big[i] * small[i], a + big[i] ** 2, b + small[i] ** 2];
    const cosine = dot / Math.sqrt(a * b);
    // The same photo through the same filters: close, but seen in more detail, so not equal.
    assert.ok(cosine > 0.8 && cosine < 0.999, `cosine ${cosine}`);
    at320.dispose();
    base.dispose();
  });

  for (const id of ['mobilenet_v1_0.25_224', 'mobilenet_v1_0.75_224', 'mobilenet_v2_0.35_224_notop', 'tfhub_mobilenet_v1_025_224_classification', 'mobilenet_v1_0.75_224_at320', 'mobilenet_v2_0.35_224_notop_at320']) {
    it(`${id}: the fast path equals the original network within 1e-4 and leaks no tensors`, async () => {
      const fast = await loadBackbone(id, { modelsDir });
      const slow = await loadBackbone(id, { modelsDir, fast: false });
      const { tf } = fast;
      assert.equal(fast.dim, getBackbone(id).dim);
      if (fast.layersModel) assert.ok(fast.fast, `fast path not used: ${fast.slowReason}`);
      const x = await preprocessBatch(tf, [chelsea, coffee], fast.spec);
      const noise = tf.randomUniform([3, fast.inputSize, fast.inputSize, 3], fast.spec.inputRange[0], fast.spec.inputRange[1]) as import('@tensorflow/tfjs').Tensor4D;
      const before = tf.memory().numTensors;
      for (const input of [x, noise]) {
        const a = fast.embed(input);
        const b = slow.embed(input);
        const [da, db] = [await a.data(), await b.data()];
        let max = 0;
        for (let i = 0; i < da.length; i++) max = Math.max(max, Math.abs(da[i] - db[i]));
        assert.ok(max <= 1e-4, `max difference ${max}`);
        assert.ok(da.some((v) => v !== 0), 'codes are not all zero');
        tf.dispose([a, b]);
      }
      const codes = await fast.embedImages([chelsea, coffee]);
      assert.equal(codes.length, 2);
      assert.equal(codes[0].length, fast.dim);
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      tf.dispose([x, noise]);
      fast.dispose();
      slow.dispose();
    });
  }
});
