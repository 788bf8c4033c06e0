/**
 * The ONNX and TensorFlow Lite exports: the whole classifier (backbones with batch norm
 * folded, head, neighbour vote, softmax) in one file each, compiled in a worker
 * (`deployable-task.ts`). A format that cannot express the model is refused with the
 * reason (the node and its op) while the other formats are still written. The ONNX file is
 * checked here by ONNX Runtime on some of the project's own photos; every file's
 * description, sizes and checks go into `deployable.json` for the report.
 *
 * Input of both files: a batch of RGB images `[n, size, size, 3]` (NHWC), float32 values
 * 0…255 as the preprocessing in metadata.json produces them, unscaled — each network's
 * range mapping is inside the model. Outputs: "probabilities" `[n, classes]` in the order
 * of labels.txt, and "features" `[n, dim]`, the pooled backbone features.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DeployableFile, DeployableRefusal } from '../../../shared/api/export';
import type { RunDetail } from '../../../shared/api/training';
import { listImages } from '../catalogue/images';
import { GraftError } from '../errors';
import type { StoredModel } from '../model/stored-model';
import { ONNX_OPSET } from '../onnx/onnx-writer';
import { loadOnnxRuntime } from '../onnx/ort-loader';
import { getBackbone } from '../tf/registry';
import { decodeForNetwork } from '../tf/preprocess';
import type { ExportStep } from './export-types';

export type Quantization = 'float16' | 'int8';

export interface DeployableResult {
  files: DeployableFile[];
  refused: DeployableRefusal[];
}

/** How many of the project's photos the export-time ONNX check runs. */
const CHECK_PHOTOS = 8;

export async function exportDeployable(step: ExportStep, run: RunDetail, stored: StoredModel, formats: Array<'onnx' | 'tflite'>, quantize: readonly Quantization[]): Promise<DeployableResult> {
  const jobs: Array<{ format: 'onnx' | 'tflite'; weights: 'float32' | Quantization; file: string }> = [];
  if (formats.includes('onnx')) jobs.push({ format: 'onnx', weights: 'float32', file: 'model.onnx' });
  if (formats.includes('tflite')) {
    jobs.push({ format: 'tflite', weights: 'float32', file: 'model.tflite' });
    for (const q of quantize) jobs.push({ format: 'tflite', weights: q, file: `model_${q}.tflite` });
  }
  const sizes = [...new Set(stored.backbones.map((b) => getBackbone(b.id).inputSize))];
  const result: DeployableResult = { files: [], refused: [] };
  let done = 0;
  for (const job of jobs) {
    step.progress('model', done++, jobs.length, `compiling ${job.file}`);
    const built = await step.workers.run('build-deployable-export', { projectPath: step.projectPath, runId: run.id, modelsDir: step.modelsDir, format: job.format, weights: job.weights }, { signal: step.signal });
    if (step.signal?.aborted) throw new GraftError('cancelled', 'The export was cancelled; nothing was written.');
    if ('refused' in built) {
      result.refused.push({ format: job.format, file: job.file, reason: built.refused });
      continue;
    }
    fs.writeFileSync(path.join(step.dir, job.file), built.bytes);
    step.written({ file: job.file, bytes: built.bytes.length });
    const check = job.format === 'onnx' ? await checkOnnx(step, built.bytes, sizes, stored.classes.length) : null;
    result.files.push({
      format: job.format,
      file: job.file,
      bytes: built.bytes.length,
      weights: job.weights,
      inputs: sizes.map((size) => ({ name: sizes.length === 1 ? 'image' : `image_${size}`, shape: [job.format === 'tflite' ? 1 : null, size, size, 3] })),
      outputs: ['probabilities', 'features'],
      opset: job.format === 'onnx' ? ONNX_OPSET : null,
      check,
    });
  }
  if (result.files.length) {
    const labels = stored.classes.join('\n') + '\n';
    fs.writeFileSync(path.join(step.dir, 'labels.txt'), labels);
    step.written({ file: 'labels.txt', bytes: Buffer.byteLength(labels) });
  }
  const text = JSON.stringify(result, null, 2);
  fs.writeFileSync(path.join(step.dir, 'deployable.json'), text);
  step.written({ file: 'deployable.json', bytes: Buffer.byteLength(text) });
  step.progress('model', jobs.length, jobs.length);
  return result;
}

/**
 * Loads the written file in ONNX Runtime and runs it on some of the project's photos: the
 * export is only reported done if the runtime accepts it and every row of probabilities is
 * a distribution over the labels.
 */
async function checkOnnx(step: ExportStep, bytes: Uint8Array, sizes: number[], classes: number): Promise<DeployableFile['check']> {
  const loaded = loadOnnxRuntime();
  if (!loaded.ok) return { runtime: 'onnxruntime-node', ok: false, detail: `not checked: ${loaded.reason}` };
  const { ort } = loaded;
  const photos = listImages(step.db, {}, { limit: CHECK_PHOTOS }).images.map((i) => i.path).filter((p) => Boolean(p) && fs.existsSync(p));
  if (!photos.length) return { runtime: `onnxruntime-node ${loaded.version}`, ok: false, detail: 'not checked: no photos on disk' };
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const size of sizes) {
      const per = size * size * 3;
      const data = new Float32Array(photos.length * per);
      for (let i = 0; i < photos.length; i++) data.set(await decodeForNetwork(photos[i], size), i * per);
      feeds[sizes.length === 1 ? 'image' : `image_${size}`] = new ort.Tensor('float32', data, [photos.length, size, size, 3]);
    }
    const out = await session.run(feeds);
    const probs = out.probabilities.data as Float32Array;
    let worst = 0;
    for (let r = 0; r < photos.length; r++) {
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += probs[r * classes + c];
      worst = Math.max(worst, Math.abs(sum - 1));
    }
    const ok = probs.length === photos.length * classes && worst < 1e-4;
    return { runtime: `onnxruntime-node ${loaded.version}`, ok, detail: `ran ${photos.length} of the project's photos; probabilities sum to 1 within ${worst.toExponential(1)}` };
  } finally {
    await session.release();
  }
}
