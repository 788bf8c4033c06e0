/**
 * A whole trained classifier compiled into one ONNX model gives the probabilities the
 * TF.js predictor (main/engine/training/predict.ts) gives, within 1e-4, and the codes TF.js
 * extracts: with one backbone; with two of different input sizes and ranges, a flip view,
 * two members with a hidden ReLU layer and the neighbour vote; and with two backbones
 * sharing one input. With the vote, the predictor's "similarity" output is what
 * model/novelty.ts computes from the codes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileClassifier } from '../../main/engine/onnx/classifier-model';
import { OnnxSessionPool, type FeedTensor } from '../../main/engine/onnx/session-pool';
import { loadBackbone, type Backbone } from '../../main/engine/tf/backbone';
import { decodeForNetwork } from '../../main/engine/tf/preprocess';
import { getBackbone } from '../../main/engine/tf/registry';
import { getTf, type Tf } from '../../main/engine/tf/runtime';
import { HEAD_DEFAULTS } from '../../main/engine/training/defaults';
import { trainHead, type Examples } from '../../main/engine/model/head';
import { predictorFor } from '../../main/engine/training/predict';
import { WorkerPool } from '../../main/engine/workers/worker-pool';
import { withVote } from '../../main/engine/model/vote';
import { nearestSimilarities } from '../../main/engine/model/novelty';
import type { StoredModel } from '../../main/engine/model/stored-model';
import { listImageFiles } from '../helpers/catalogue-fixtures';
import { flowersMiniDir, modelsDir, testdataDir } from '../helpers/paths';

/** The TF.js predictor's head runs in a worker, as in the app. */
const workers = new WorkerPool({ purpose: 'computing', size: 1 });
after(() => workers.close());

const classes = fs.readdirSync(flowersMiniDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
const perClass = classes.map((c) => listImageFiles(path.join(flowersMiniDir, c)));
/** Seven photos of each kind to train on, two others of each (and the cat) to predict. */
const trainFiles = perClass.flatMap((files, k) => files.slice(0, 7).map((f) => ({ file: f, label: k })));
const testFiles = [...perClass.flatMap((files) => files.slice(7, 9)), path.join(testdataDir, 'chelsea.png')];

let tf: Tf;
const loaded = new Map<string, Backbone>();
before(async () => {
  tf = (await getTf()).tf;
});
after(() => {
  for (const b of loaded.values()) b.dispose();
});

async function backbone(id: string): Promise<Backbone> {
  if (!loaded.has(id)) loaded.set(id, await loadBackbone(id, { modelsDir }));
  return loaded.get(id)!;
}

async function trainedModel(ids: string[], views: Array<'center' | 'flip'>, head: { hidden: number; members: number; vote: boolean }): Promise<StoredModel> {
  const dims: number[] = [];
  const blocks: Float32Array[][] = [];
  for (const id of ids) {
    const bb = await backbone(id);
    dims.push(bb.dim);
    blocks.push(await bb.embedImages(trainFiles.map((t) => t.file)));
  }
  const dim = dims.reduce((a, b) => a + b, 0);
  const x = new Float32Array(trainFiles.length * dim);
  trainFiles.forEach((_, i) => {
    let offset = 0;
    blocks.forEach((codes, b) => {
      x.set(codes[i], i * dim + offset);
      offset += dims[b];
    });
  });
  const train: Examples = { x, y: Int32Array.from(trainFiles.map((t) => t.label)), rows: trainFiles.length, dim };
  const config = { ...HEAD_DEFAULTS, hidden: head.hidden, members: head.members, maxEpochs: 6, batchSize: 16 };
  let { params } = await trainHead(tf, { config, seed: 7, classCount: classes.length, train, validation: null });
  if (head.vote) params = withVote(params, train, { temperature: 0.03, blocks: dims, seed: 7 });
  return { classes, backbones: ids.map((id, i) => ({ id, dim: dims[i] })), views, head: params };
}

async function compare(model: StoredModel, inputType: 'uint8' | 'float32' = 'uint8', check = { codes: true }): Promise<void> {
  const predictor = await predictorFor(model, 'onnx-test', { modelsDir, pool: workers });
  let expected: Float32Array[];
  try {
    expected = await predictor.probabilities(testFiles);
  } finally {
    predictor.dispose();
  }
  const compiled = await compileClassifier(model, { modelsDir, allowDownload: false, inputType, similarity: true });
  const feeds: Record<string, FeedTensor> = {};
  for (const input of compiled.inputs) {
    const per = input.size * input.size * 3;
    const data = new Uint8Array(testFiles.length * per);
    for (const [i, f] of testFiles.entries()) data.set(await decodeForNetwork(f, input.size), i * per);
    const dims = [testFiles.length, input.size, input.size, 3];
    feeds[input.name] = inputType === 'uint8' ? { type: 'uint8', data, dims } : { type: 'float32', data: Float32Array.from(data), dims };
  }
  const pool = await OnnxSessionPool.start(compiled.bytes, { workers: 1 });
  let out: Awaited<ReturnType<OnnxSessionPool['run']>>;
  try {
    assert.deepEqual(pool.inputs.map((i) => i.name).sort(), compiled.inputs.map((i) => i.name).sort());
    out = await pool.run(feeds);
  } finally {
    await pool.close();
  }
  const k = classes.length;
  assert.deepEqual(out.probabilities.dims, [testFiles.length, k]);
  let max = 0;
  expected.forEach((p, i) => p.forEach((v, j) => (max = Math.max(max, Math.abs(v - out.probabilities.data[i * k + j])))));
  assert.ok(max <= 1e-4, `probabilities differ by up to ${max}`);
  // Not a degenerate head: the photos do not all get the same answer.
  const top = expected.map((p) => p.indexOf(Math.max(...p)));
  assert.ok(new Set(top).size > 1, `every photo predicted as ${classes[top[0]]}`);

  // The second output: the centre view's codes, in the model's backbone order.
  const dim = model.head.inputDim;
  if (!check.codes) return;
  assert.deepEqual(out.codes.dims, [testFiles.length, dim]);
  let offset = 0;
  let codesMax = 0;
  for (const b of model.backbones) {
    const codes = await (await backbone(b.id)).embedImages(testFiles);
    codes.forEach((c, i) => c.forEach((v, j) => (codesMax = Math.max(codesMax, Math.abs(v - out.codes.data[i * dim + offset + j])))));
    offset += b.dim;
  }
  assert.ok(codesMax <= 1e-4, `codes differ by up to ${codesMax}`);

  // The third output, with a vote only: each photo's similarity to its nearest voter.
  const similarity = nearestSimilarities(model.head, model.backbones.map((b) => b.dim), out.codes.data as Float32Array, testFiles.length);
  if (!similarity) {
    assert.equal(out.similarity, undefined, 'no vote, no similarity');
    return;
  }
  assert.deepEqual(out.similarity.dims, [testFiles.length, 1]);
  let similarityMax = 0;
  similarity.forEach((v, i) => (similarityMax = Math.max(similarityMax, Math.abs(v - out.similarity.data[i]))));
  assert.ok(similarityMax <= 1e-5, `similarities differ by up to ${similarityMax}`);
  // Photos it never saw (and a cat): none is a voter's twin, and they are not all alike.
  assert.ok(Math.max(...similarity) < 0.999 && new Set(Array.from(similarity, (v) => v.toFixed(3))).size > 3, `similarities ${Array.from(similarity)}`);
}

describe('a whole classifier as one ONNX model', () => {
  it('one backbone, centre view, one member; images as bytes or as floats', async () => {
    const model = await trainedModel(['mobilenet_v1_0.25_224'], ['center'], { hidden: 0, members: 1, vote: false });
    await compare(model);
    await compare(model, 'float32');
  });

  it('two backbones of different sizes and ranges, flip view, two hidden-layer members and the vote', async () => {
    const model = await trainedModel(['mobilenet_v1_0.25_224', 'mobilenet_v2_0.35_224_notop_at320'], ['center', 'flip'], { hidden: 16, members: 2, vote: true });
    assert.equal(getBackbone('mobilenet_v2_0.35_224_notop_at320').inputSize, 320);
    assert.deepEqual(model.head.members.at(-1)!.layers.map((l) => l.activation), ['softmax', 'linear']);
    await compare(model);
  });

  it("a fine-tuned backbone's replaced layer weights", async () => {
    const model = await trainedModel(['mobilenet_v1_0.25_224'], ['center'], { hidden: 0, members: 1, vote: false });
    const layersModel = (await backbone('mobilenet_v1_0.25_224')).layersModel!;
    // What fine-tuning stores: whole layers' weights, in the layer's own order, changed.
    const changed = ['conv_pw_13', 'conv_pw_13_bn'].map((name) => ({
      name,
      weights: layersModel.getLayer(name).getWeights().map((w, i) => {
        const values = Float32Array.from(w.dataSync(), (v) => (name.endsWith('_bn') && i === 3 ? v * 1.5 : v * 0.9 + 0.01));
        return { shape: w.shape, values };
      }),
    }));
    model.fineTuned = { backbone: 'mobilenet_v1_0.25_224', layers: changed };
    // The codes output is compared with the untuned backbone's codes, so compare probabilities only.
    await compare(model, 'uint8', { codes: false });
  });

  it('two backbones sharing one input size, flip view', async () => {
    await compare(await trainedModel(['mobilenet_v1_0.25_224', 'tfhub_mobilenet_v1_025_224_classification'], ['center', 'flip'], { hidden: 0, members: 1, vote: true }));
  });
});
