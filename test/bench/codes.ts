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
 * ONNX Runtime beside it (main/engine/onnx: the network compiled to ONNX, one session
 * per core in worker threads): the same files decoded the same way (sharp, overlapped with
 * inference, batches of 16, two in flight per worker) — `codesOnnx*` — and, on 64
 * photos decoded beforehand, inference alone on both engines at 224 and at 320 px
 * (`codes{Onnx,Wasm}MsPerImage{224,320}`, the better of two interleaved rounds each).
 * Not wired into the engine yet: these figures are what switching would buy.
 *
 * GRAFT_BENCH_CODES_LIMIT=N uses only the first N photos (a quick look, not the figure).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type * as tfjs from '@tensorflow/tfjs';
import { openProject } from '../../main/engine/catalogue/open';
import { ensureCodes } from '../../main/engine/codes/extract';
import { startOnnxBackbone, type OnnxBackbone } from '../../main/engine/onnx/onnx-backbone';
import { EmbedPool } from '../../main/engine/tf/embed-pool';
import { decodeForNetwork } from '../../main/engine/tf/preprocess';
import { getBackbone } from '../../main/engine/tf/registry';
import { getTf } from '../../main/engine/tf/runtime';
import { folderIOHandler, resolveWeights } from '../../main/engine/tf/weights';
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

  const onnx = await onnxPass(files);
  log(`ONNX Runtime: ${onnx.images} codes in ${onnx.seconds.toFixed(1)} s (${onnx.workers} workers)`);

  const plainB = await plainLoop(files.slice(half));
  log(`plain loop, second half: ${plainB.images} images in ${plainB.seconds.toFixed(1)} s`);

  const inference: Record<string, number> = {};
  for (const id of [BACKBONE, `${BACKBONE}_at320`]) {
    const size = getBackbone(id).inputSize;
    const m = await inferenceOnly(id, files.slice(0, 64));
    inference[`codesWasmMsPerImage${size}`] = m.wasm;
    inference[`codesOnnxMsPerImage${size}`] = m.onnx;
    log(`inference alone at ${size} px: wasm ${m.wasm.toFixed(1)} ms/image, ONNX Runtime ${m.onnx.toFixed(1)} ms/image`);
  }

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
    codesOnnxWorkers: onnx.workers,
    codesOnnxImagesPerSecond: round(onnx.images / onnx.seconds),
    codesOnnxSpeedupOverWasm: round(onnx.images / onnx.seconds / bb.imagesPerSecond),
    ...Object.fromEntries(Object.entries(inference).map(([k, v]) => [k, round(v)])),
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

/**
 * The same photos through ONNX Runtime as `ensureCodes` runs them through TF.js: decode
 * with Graft's preprocessing while earlier batches run, 16 per batch, two per worker in
 * flight. Codes are kept in memory (no database), a small saving over the pipeline.
 */
async function onnxPass(files: string[]): Promise<{ images: number; seconds: number; workers: number }> {
  const spec = getBackbone(BACKBONE);
  const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
  const onnx = await startOnnxBackbone(spec, dir);
  let images = 0;
  const t0 = process.hrtime.bigint();
  try {
    const running = new Set<Promise<void>>();
    for (let i = 0; i < files.length; i += 16) {
      const batch = files.slice(i, i + 16);
      const p: Promise<void> = (async () => {
        const decoded = (await Promise.all(batch.map((f) => decodeForNetwork(f, spec.inputSize).catch(() => null)))).filter((d): d is Uint8Array => d !== null);
        const pixels = new Uint8Array(decoded.length * decoded[0].length);
        decoded.forEach((d, k) => pixels.set(d, k * d.length));
        await onnx.embed(pixels, decoded.length);
        images += decoded.length;
      })().finally(() => running.delete(p));
      running.add(p);
      if (running.size >= onnx.workers * 2) await Promise.race(running);
    }
    await Promise.all(running);
  } finally {
    await onnx.close();
  }
  return { images, seconds: Number(process.hrtime.bigint() - t0) / 1e9, workers: onnx.workers };
}

/** ms per image of inference alone (photos decoded beforehand) on each engine's pool; the better of two rounds. */
async function inferenceOnly(id: string, files: string[]): Promise<{ wasm: number; onnx: number }> {
  const spec = getBackbone(id);
  const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
  const size = spec.inputSize;
  const decoded = await Promise.all(files.map((f) => decodeForNetwork(f, size)));
  const batches: Uint8Array[] = [];
  for (let i = 0; i < decoded.length; i += 16) {
    const chunk = decoded.slice(i, i + 16);
    const pixels = new Uint8Array(chunk.length * size * size * 3);
    chunk.forEach((d, k) => pixels.set(d, k * d.length));
    batches.push(pixels);
  }
  const timed = async (pool: { embed(p: Uint8Array, n: number): Promise<Float32Array> }): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await Promise.all(batches.map((b) => pool.embed(b.slice(), b.length / (size * size * 3))));
    return Number(process.hrtime.bigint() - t0) / 1e6 / decoded.length;
  };
  const wasmPool = await EmbedPool.start(spec, dir);
  const onnx: OnnxBackbone = await startOnnxBackbone(spec, dir);
  try {
    // One image per worker first: a session's first run sets up its kernels.
    const one = () => batches[0].slice(0, size * size * 3);
    await Promise.all([...Array.from({ length: wasmPool.workers }, () => wasmPool.embed(one(), 1)), ...Array.from({ length: onnx.workers }, () => onnx.embed(one(), 1))]);
    const wasm = [await timed(wasmPool)];
    const ort = [await timed(onnx)];
    wasm.push(await timed(wasmPool));
    ort.push(await timed(onnx));
    return { wasm: Math.min(...wasm), onnx: Math.min(...ort) };
  } finally {
    await wasmPool.close();
    await onnx.close();
  }
}

function log(m: string): void {
  process.stderr.write(`bench codes: ${m}\n`);
}
