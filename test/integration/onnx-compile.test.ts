/**
 * The layers front end and the ONNX writer on networks made here with TF.js, with
 * random weights and every layer kind the compiler claims to read: ONNX Runtime's
 * outputs must equal TF.js's own `predict`. Odd, non-square feature maps make SAME
 * padding asymmetric, and a Flatten of a 5×4 map checks that NCHW is turned back into
 * TF's NHWC order before it is flattened. A network with a layer kind the compiler does
 * not know is refused with that layer named.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as tfjs from '@tensorflow/tfjs';
import { backboneGraph } from '../../main/engine/netgraph/backbone-graph';
import { UnsupportedModelError } from '../../main/engine/netgraph/ir';
import { onnxCompatibility } from '../../main/engine/onnx/onnx-backbone';
import { writeOnnx } from '../../main/engine/onnx/onnx-writer';
import { OnnxSessionPool } from '../../main/engine/onnx/session-pool';
import { atInputSize } from '../../main/engine/tf/input-size';
import type { BackboneSpec } from '../../main/engine/tf/registry';
import { getTf, type Tf } from '../../main/engine/tf/runtime';
import { saveLeakyNetwork, saveModel } from '../helpers/layers-model-folder';
import { graftBin, tempDir } from '../helpers/paths';

const tmp = tempDir('graft-onnx-compile-');
let tf: Tf;
let pool: OnnxSessionPool | null = null;

before(async () => {
  tf = (await getTf()).tf;
});
after(async () => {
  await pool?.close();
  tmp.cleanup();
});

function userSpec(id: string, folder: string, size: number, extra: Partial<BackboneSpec>): BackboneSpec {
  return { id, name: id, description: 'test', format: 'layers', inputSize: size, inputRange: [-1, 1], pooling: 'none', dim: 0, builtin: false, folder, ...extra };
}

/** Random non-zero batch-norm statistics, so folding them is visible. */
function randomiseBatchNorms(model: tfjs.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const count = layer.getWeights().length;
    // The moving variance is always the last weight; it must stay positive.
    const weights = layer.getWeights().map((w, i) => tf.tidy(() => (i === count - 1 ? tf.randomUniform(w.shape, 0.5, 2) : tf.randomNormal(w.shape, 0, 0.5))));
    layer.setWeights(weights);
    tf.dispose(weights);
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  await pool?.close();
  pool = await OnnxSessionPool.start(bytes, { workers: 1 });
  const out = await pool.run({ image: { type: 'float32', data: x.slice(), dims } });
  return out.features.data;
}

describe('compiling TF.js layers models to ONNX', () => {
  it('gives the outputs TF.js gives, for every layer kind the compiler reads', async () => {
    const l = tf.layers;
    const input = tf.input({ shape: [17, 17, 3] });
    let x = l.zeroPadding2d({ padding: [[1, 2], [0, 1]] }).apply(input) as tfjs.SymbolicTensor;
    x = l.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false }).apply(x) as tfjs.SymbolicTensor;
    x = l.batchNormalization({ epsilon: 1e-3 }).apply(x) as tfjs.SymbolicTensor;
    x = l.reLU({ maxValue: 6 }).apply(x) as tfjs.SymbolicTensor;
    const a = l.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }).apply(x) as tfjs.SymbolicTensor;
    const b = l.separableConv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(x) as tfjs.SymbolicTensor;
    const sum = l.add().apply([a, b]) as tfjs.SymbolicTensor;
    let d = l.conv2d({ filters: 16, kernelSize: 3, dilationRate: 2, padding: 'same' }).apply(sum) as tfjs.SymbolicTensor;
    d = l.batchNormalization({ center: false }).apply(d) as tfjs.SymbolicTensor;
    d = l.activation({ activation: 'sigmoid' }).apply(d) as tfjs.SymbolicTensor;
    const m = l.multiply().apply([sum, d]) as tfjs.SymbolicTensor;
    let e = l.concatenate().apply([sum, m]) as tfjs.SymbolicTensor;
    e = l.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(e) as tfjs.SymbolicTensor;
    e = l.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(e) as tfjs.SymbolicTensor;
    let f = l.flatten().apply(e) as tfjs.SymbolicTensor;
    f = l.dense({ units: 10, activation: 'relu' }).apply(f) as tfjs.SymbolicTensor;
    f = l.reshape({ targetShape: [2, 5] }).apply(f) as tfjs.SymbolicTensor;
    f = l.softmax({ axis: -1 }).apply(f) as tfjs.SymbolicTensor; // TF.js's default is axis 1
    f = l.flatten().apply(f) as tfjs.SymbolicTensor;
    const out = l.dense({ units: 4, activation: 'softmax' }).apply(f) as tfjs.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    randomiseBatchNorms(model);
    const dir = path.join(tmp.dir, 'zoo');
    await saveModel(tf, model, dir);

    const spec = userSpec('zoo', dir, 17, {});
    const compiled = backboneGraph(spec, dir);
    assert.equal(compiled.dim, 4);
    assert.ok(compiled.report.foldedAffine >= 2 && compiled.report.foldedPads === 1, JSON.stringify(compiled.report));

    const n = 3;
    const values = Float32Array.from({ length: n * 17 * 17 * 3 }, () => Math.random() * 2 - 1);
    const expected = tf.tidy(() => (model.predict(tf.tensor4d(values, [n, 17, 17, 3])) as tfjs.Tensor).dataSync() as Float32Array);
    const got = await runOnnx(writeOnnx(compiled.graph), values, [n, 17, 17, 3]);
    assert.ok(maxDiff(got, expected) <= 1e-4, `max difference ${maxDiff(got, expected)}`);

    // An inner layer as the feature layer, average-pooled, at another input size.
    const inner = userSpec('zoo_inner', dir, 23, { featureLayer: model.layers.find((k) => k.getClassName() === 'Concatenate')!.name, pooling: 'avg' });
    const innerGraph = backboneGraph(inner, dir);
    assert.equal(innerGraph.dim, 32);
    const big = Float32Array.from({ length: n * 23 * 23 * 3 }, () => Math.random() * 2 - 1);
    // TF.js's reference: the network cut at that layer, rebuilt for 23-px images.
    const concat = model.layers.find((k) => k.getClassName() === 'Concatenate')!;
    const atSize = await atInputSize(tf, tf.model({ inputs: input, outputs: concat.output as tfjs.SymbolicTensor }), 23);
    const want = tf.tidy(() => tf.mean(atSize.predict(tf.tensor4d(big, [n, 23, 23, 3])) as tfjs.Tensor, [1, 2]).dataSync() as Float32Array);
    const gotInner = await runOnnx(writeOnnx(innerGraph.graph), big, [n, 23, 23, 3]);
    assert.ok(maxDiff(gotInner, want) <= 1e-4, `max difference ${maxDiff(gotInner, want)}`);
    atSize.dispose();
  });

  it('refuses a layer kind it does not know, naming the layer', async () => {
    const dir = path.join(tmp.dir, 'leaky');
    await saveLeakyNetwork(tf, dir, 8);
    const spec = userSpec('leaky', dir, 8, {});
    assert.throws(() => backboneGraph(spec, dir), (err: Error) => err instanceof UnsupportedModelError && /odd_activation/.test(err.message) && /LeakyReLU/.test(err.message));
    const verdict = onnxCompatibility(spec, dir, { cacheDir: path.join(tmp.dir, 'cache') });
    assert.equal(verdict.ok, false);
    assert.match((verdict as { reason: string }).reason, /layer odd_activation \(LeakyReLU\)/);
    // What a person adding the folder sees.
    const cli = spawnSync(process.execPath, [graftBin, 'backbones', 'inspect', dir], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /ONNX Runtime: no, runs on TF\.js \(layer odd_activation \(LeakyReLU\)/);
  });
});
