/**
 * Code extraction throughput for mobilenet_v1_0.75_224 over the 1,806 flower photos:
 * Graft's pipeline (`ensureCodes`: decode overlapped with inference, batch-norm folded
 * into fused convolutions, one wasm backend per core or native TensorFlow in one worker)
 * against a plain loop (sharp decode → the unmodified layers model's `predict`, batches of
 * 16) over the same images, in the same run. Both use the runtime GRAFT_RUNTIME chooses
 * (`codesRuntime`); `GRAFT_RUNTIME=wasm` / `=tfjs-node` compare the two.
 *
 * The machine may be shared, so the plain loop runs in two halves around the pipeline
 * (first half, pipeline, second half): a change in background load then weighs on both
 * sides instead of only one. The load average is reported with the figures.
 *
 * GRAFT_BENCH_CODES_LIMIT=N uses only the first N photos (a quick look, not the figure).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type * as tfjs from '@tensorflow/tfjs';
import { openProject } from '../../main/catalogue/open';
import { ensureCodes } from '../../main/codes/extract';
import { getBackbone } from '../../main/tf/registry';
import { getTf } from '../../main/tf/runtime';
import { folderIOHandler, resolveWeights } from '../../main/tf/weights';
import { addFilesToCatalogue, listImageFiles } from '../helpers/catalogue-fixtures';
import { flowersDir, modelsDir, tempDir } from '../helpers/paths';
import type { Figures } from './run';

const BACKBONE = 'mobilenet_v1_0.75_224';

export async function run(): Promise<Figures> {
  if (!fs.existsSync(flowersDir)) throw new Error(`No flower photos at ${flowersDir}: the codes benchmark needs ../shared beside the checkout.`);
  const limit = Number(process.env.GRAFT_BENCH_CODES_LIMIT ?? 0);
  const all = listImageFiles(flowersDir);
  const files = limit > 0 ? all.slice(0, limit) : all;
  const half = Math.ceil(files.length / 2);
  const loadBefore = os.loadavg()[0];

  const plainA = await plainLoop(files.slice(0, half));
  log(`plain loop, first half: ${plainA.images} images in ${plainA.seconds.toFixed(1)} s`);

  const { dir, cleanup } = tempDir('graft-bench-codes-');
  let pipeline: Awaited<ReturnType<typeof ensureCodes>>;
  let wallSeconds: number;
  try {
    const db = openProject(path.join(dir, 'bench.graft'));
    try {
      addFilesToCatalogue(db, files);
      const t0 = process.hrtime.bigint();
      pipeline = await ensureCodes(db, { backbones: [BACKBONE], modelsDir });
      wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    } finally {
      db.close();
    }
  } finally {
    cleanup();
  }
  const bb = pipeline.backbones[0];
  log(`pipeline: ${bb.computed} codes in ${bb.seconds.toFixed(1)} s (${bb.workers} workers, fast path ${bb.fast})`);

  const plainB = await plainLoop(files.slice(half));
  log(`plain loop, second half: ${plainB.images} images in ${plainB.seconds.toFixed(1)} s`);

  const plainRate = (plainA.images + plainB.images) / (plainA.seconds + plainB.seconds);
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    codesBackbone: BACKBONE,
    codesRuntime: pipeline.runtime,
    codesWorkers: bb.workers,
    codesImages: bb.computed,
    codesFailed: bb.failed.length,
    codesImagesPerSecond: round(bb.imagesPerSecond),
    codesWallSeconds: round(wallSeconds),
    codesPlainImagesPerSecond: round(plainRate),
    codesSpeedup: round(bb.imagesPerSecond / plainRate),
    codesPlainDecodeMsPerImage: round(((plainA.decodeSeconds + plainB.decodeSeconds) * 1000) / (plainA.images + plainB.images), 1),
    codesPlainPredictMsPerImage: round(((plainA.predictSeconds + plainB.predictSeconds) * 1000) / (plainA.images + plainB.images), 1),
    codesTensorsAfterFirstBatch: bb.tensors.afterFirstBatch,
    codesTensorsAfterLastBatch: bb.tensors.afterLastBatch,
    codesPlainTensorGrowth: plainA.tensorGrowth + plainB.tensorGrowth,
    codesLoadAverageBefore: round(loadBefore),
    codesLoadAverageAfter: round(os.loadavg()[0]),
  };
}

/**
 * The baseline a tutorial would write: one thread, sharp resize to 224 (cover = center
 * crop), scale to [-1, 1], `model.predict` on the unmodified layers model, batches of 16.
 */
async function plainLoop(files: string[]): Promise<{ images: number; seconds: number; decodeSeconds: number; predictSeconds: number; tensorGrowth: number }> {
  const { tf } = await getTf();
  const spec = getBackbone(BACKBONE);
  const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
  const model = await tf.loadLayersModel(folderIOHandler(dir));
  const size = spec.inputSize;
  tf.tidy(() => model.predict(tf.zeros([1, size, size, 3])));
  let decodeSeconds = 0;
  let predictSeconds = 0;
  let images = 0;
  let tensorsAfterFirst = -1;
  let tensorsAfterLast = -1;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < files.length; i += 16) {
    const batch = files.slice(i, i + 16);
    const a = process.hrtime.bigint();
    const pixels: Buffer[] = [];
    for (const f of batch) {
      try {
        pixels.push(await sharp(f).resize(size, size, { fit: 'cover' }).removeAlpha().raw().toBuffer());
      } catch {
        // A photo the baseline cannot read is skipped, as a tutorial loop would.
      }
    }
    const values = new Float32Array(pixels.length * size * size * 3);
    pixels.forEach((p, k) => {
      for (let j = 0; j < p.length; j++) values[k * p.length + j] = p[j] / 127.5 - 1;
    });
    const b = process.hrtime.bigint();
    const y = tf.tidy(() => model.predict(tf.tensor4d(values, [pixels.length, size, size, 3])) as tfjs.Tensor);
    await y.data();
    y.dispose();
    const c = process.hrtime.bigint();
    decodeSeconds += Number(b - a) / 1e9;
    predictSeconds += Number(c - b) / 1e9;
    images += pixels.length;
    if (tensorsAfterFirst < 0) tensorsAfterFirst = tf.memory().numTensors;
    tensorsAfterLast = tf.memory().numTensors;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  model.dispose();
  return { images, seconds, decodeSeconds, predictSeconds, tensorGrowth: tensorsAfterLast - tensorsAfterFirst };
}

function log(m: string): void {
  process.stderr.write(`bench codes: ${m}\n`);
}
