/**
 * Every built-in backbone in ../shared/models, compiled to ONNX and run by ONNX Runtime,
 * gives the codes TF.js (wasm, today's path) gives for the same photos, within 1e-4 —
 * at 224 px and at 320 px (the `_at320` entries); the ImageNet heads, compiled too, still
 * recognise the cat and the espresso; inference leaves the event loop free.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { backboneGraph, withRgbBytesInput } from '../../main/engine/netgraph/backbone-graph';
import { startOnnxBackbone } from '../../main/engine/onnx/onnx-backbone';
import { writeOnnx } from '../../main/engine/onnx/onnx-writer';
import { OnnxSessionPool } from '../../main/engine/onnx/session-pool';
import { loadBackbone } from '../../main/engine/tf/backbone';
import { decodeForNetwork } from '../../main/engine/tf/preprocess';
import { getBackbone, type BackboneSpec } from '../../main/engine/tf/registry';
import { resolveWeights } from '../../main/engine/tf/weights';
import { listImageFiles } from '../helpers/catalogue-fixtures';
import { flowersMiniDir, modelsDir, tempDir, testdataDir } from '../helpers/paths';

const cache = tempDir('graft-onnx-backbones-');
after(() => cache.cleanup());

const chelsea = path.join(testdataDir, 'chelsea.png');
const coffee = path.join(testdataDir, 'coffee.png');
/** The two test photos and one flower of each kind (file names sorted, so always the same ones). */
const photos = [chelsea, coffee, ...fs.readdirSync(flowersMiniDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => listImageFiles(path.join(flowersMiniDir, e.name))[0])];

async function rgbBatch(files: string[], size: number, flip = false): Promise<Uint8Array> {
  const per = size * size * 3;
  const out = new Uint8Array(files.length * per);
  for (const [i, f] of files.entries()) out.set(await decodeForNetwork(f, size, { flip }), i * per);
  return out;
}

const BUILT_INS = ['mobilenet_v1_0.25_224', 'mobilenet_v1_0.75_224', 'mobilenet_v2_0.35_224_notop', 'tfhub_mobilenet_v1_025_224_classification', 'mobilenet_v1_0.75_224_at320', 'mobilenet_v2_0.35_224_notop_at320'];

describe('built-in backbones on ONNX Runtime', () => {
  for (const id of BUILT_INS) {
    it(`${id}: codes equal TF.js's within 1e-4 on real photos`, async () => {
      const spec = getBackbone(id);
      const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
      const tfjs = await loadBackbone(id, { modelsDir });
      const expected = await tfjs.embedImages(photos);
      tfjs.dispose();
      const onnx = await startOnnxBackbone(spec, dir, { cacheDir: cache.dir, layout: { workers: 2 } });
      try {
        assert.equal(onnx.dim, spec.dim);
        // Two batches at once, so both sessions work.
        const half = Math.ceil(photos.length / 2);
        const parts = await Promise.all([photos.slice(0, half), photos.slice(half)].map(async (files) => onnx.embed(await rgbBatch(files, spec.inputSize), files.length)));
        const got = [...parts[0], ...parts[1]];
        assert.equal(got.length, photos.length * spec.dim);
        let max = 0;
        expected.forEach((codes, i) => codes.forEach((v, j) => (max = Math.max(max, Math.abs(v - got[i * spec.dim + j])))));
        assert.ok(max <= 1e-4, `max difference ${max}`);
        assert.ok(got.some((v) => v > 0.1), 'codes are not all zero');
      } finally {
        await onnx.close();
      }
    });
  }

  const labels = JSON.parse(fs.readFileSync(path.join(testdataDir, 'imagenet_labels_1000.json'), 'utf8')) as string[];
  const cats = /tabby|egyptian cat|tiger cat/i;
  const heads: Array<[string, Partial<BackboneSpec>]> = [
    // The whole layers model: its output layer is the softmax over the 1,000 classes.
    ['mobilenet_v1_0.25_224', { featureLayer: undefined, pooling: 'none', dim: 1000 }],
    ['mobilenet_v1_0.75_224', { featureLayer: undefined, pooling: 'none', dim: 1000 }],
    // The TF Hub graph up to its logits (1,001: index 0 is "background").
    ['tfhub_mobilenet_v1_025_224_classification', { featureNode: 'module_apply_default/MobilenetV1/Logits/SpatialSqueeze', dim: 1001 }],
  ];
  for (const [id, change] of heads) {
    it(`${id} with its ImageNet head: coffee.png is espresso (top 1), chelsea.png a cat (top 2)`, async () => {
      const spec = { ...getBackbone(id), ...change };
      const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
      const compiled = backboneGraph(spec, dir);
      const pool = await OnnxSessionPool.start(writeOnnx(withRgbBytesInput(compiled.graph, spec.inputRange)), { workers: 1 });
      try {
        const out = await pool.run({ image: { type: 'uint8', data: await rgbBatch([chelsea, coffee], 224), dims: [2, 224, 224, 3] } });
        const k = spec.dim;
        const offset = k === 1001 ? 1 : 0;
        const [cat, cup] = [0, 1].map((row) => {
          const scores = Array.from(out.features.data.subarray(row * k, (row + 1) * k));
          return scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 2).map(([, i]) => labels[i - offset]);
        });
        assert.equal(cup[0], 'espresso', `coffee → ${cup.join(', ')}`);
        assert.ok(cat.some((l) => cats.test(l)), `chelsea → ${cat.join(', ')}`);
      } finally {
        await pool.close();
      }
    });
  }

  it('answers requests sent at once from shared memory each with its own pixels', async () => {
    // A session worker copies shared feeds into one scratch buffer: two requests in flight on
    // one worker must not compute on each other's pixels.
    const spec = getBackbone('mobilenet_v1_0.25_224');
    const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
    const pool = await OnnxSessionPool.start(writeOnnx(withRgbBytesInput(backboneGraph(spec, dir).graph, spec.inputRange)), { workers: 1 });
    try {
      const shared = async (file: string) => {
        const rgb = await rgbBatch([file], 224);
        const out = new Uint8Array(new SharedArrayBuffer(rgb.length));
        out.set(rgb);
        return out;
      };
      const [cat, cup] = await Promise.all([shared(chelsea), shared(coffee)]);
      const alone = await Promise.all([cat, cup].map(async (data) => (await pool.run({ image: { type: 'uint8', data, dims: [1, 224, 224, 3] } })).features.data));
      for (let round = 0; round < 3; round++) {
        const together = await Promise.all([cat, cup, cat, cup].map((data) => pool.run({ image: { type: 'uint8', data, dims: [1, 224, 224, 3] } })));
        together.forEach((out, i) => {
          const expected = alone[i % 2];
          const worst = out.features.data.reduce((m, v, j) => Math.max(m, Math.abs(v - expected[j])), 0);
          assert.ok(worst < 1e-5, `request ${i} of round ${round} got another photo's scores (differs by ${worst})`);
        });
      }
    } finally {
      await pool.close();
    }
  });

  it('leaves the event loop free while a batch runs', async () => {
    const spec = getBackbone('mobilenet_v1_0.75_224');
    const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
    const onnx = await startOnnxBackbone(spec, dir, { cacheDir: cache.dir, layout: { workers: 1 } });
    try {
      const pixels = await rgbBatch([...photos, ...photos], spec.inputSize);
      let ticks = 0;
      let running = true;
      const tick = (): void => {
        ticks++;
        if (running) setImmediate(tick);
      };
      setImmediate(tick);
      const before = ticks;
      await onnx.embed(pixels, photos.length * 2);
      running = false;
      // With inference on this thread, no callback could run until the batch was done.
      assert.ok(ticks - before > 10, `the event loop turned ${ticks - before} times during the batch`);
    } finally {
      await onnx.close();
    }
  });
});
