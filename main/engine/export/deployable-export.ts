/**
 * The ONNX and TensorFlow Lite exports: the whole classifier (backbones with batch norm
 * folded, head, neighbour vote, softmax) in one file each, compiled in a worker
 * (`deployable-task.ts`). A format that cannot express the model is refused with the
 * reason (the node and its op) while the other formats are still written. Each file is
 * checked by its own runtime on some of the project's photos (`deployable-check.ts`);
 * every file's description, sizes and checks go into `deployable.json` for the report.
 *
 * Input of both files: a batch of RGB images `[n, size, size, 3]` (NHWC), float32 values
 * 0…255 as the preprocessing in deployable.json produces them, unscaled — each network's
 * range mapping is inside the model. Outputs: "probabilities" `[n, classes]` in the order
 * of labels.txt, and "features" `[n, dim]`, the pooled backbone features.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DeployableFile, DeployableRefusal } from '../../../shared/api/export';
import type { RunDetail } from '../../../shared/api/training';
import { GraftError } from '../errors';
import type { StoredModel } from '../model/stored-model';
import { classifierInputName } from '../netgraph/classifier';
import { ONNX_OPSET } from '../onnx/onnx-writer';
import { getBackbone } from '../tf/registry';
import { checkDeployable, CheckReference } from './deployable-check';
import type { ExportStep } from './export-types';
import { PREPROCESSING as TFJS_PREPROCESSING } from './model-export';

export type Quantization = 'float16' | 'int8';

/** How to prepare a photo for both files, as deployable.json tells people: TF.js's steps, without its scaling. */
const PREPROCESSING = {
  orientation: TFJS_PREPROCESSING.orientation,
  colorSpace: TFJS_PREPROCESSING.colorSpace,
  crop: TFJS_PREPROCESSING.crop,
  resize: 'to the input\'s size (deployable.json files[].inputs), Lanczos-3 (sharp/libvips default)',
  channels: TFJS_PREPROCESSING.channels,
  layout: 'NHWC: [batch, size, size, 3], float32',
  range: [0, 255],
  formula: 'value = pixel (0…255, unscaled: each network\'s own scaling is inside the model)',
};

export interface DeployableResult {
  files: DeployableFile[];
  refused: DeployableRefusal[];
}

/**
 * `verify`: every file written is run by its runtime and compared with Graft's own
 * predictor (`deployable-check.ts`); without it every file is still loaded and run by its
 * runtime on a few photos, which must give each a distribution over the labels.
 */
export async function exportDeployable(step: ExportStep, run: RunDetail, stored: StoredModel, formats: Array<'onnx' | 'tflite'>, quantize: readonly Quantization[], verify = false): Promise<DeployableResult> {
  const jobs: Array<{ format: 'onnx' | 'tflite'; weights: 'float32' | Quantization; file: string }> = [];
  if (formats.includes('onnx')) jobs.push({ format: 'onnx', weights: 'float32', file: 'model.onnx' });
  if (formats.includes('tflite')) {
    jobs.push({ format: 'tflite', weights: 'float32', file: 'model.tflite' });
    for (const q of quantize) jobs.push({ format: 'tflite', weights: q, file: `model_${q}.tflite` });
  }
  const networks = stored.backbones.map((b) => getBackbone(b.id));
  const inputs = [...new Set(networks.map((b) => b.inputSize))].map((size) => ({ name: classifierInputName(networks, size), size }));
  let reference: CheckReference | null = null;
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
    step.progress('model', done - 1, jobs.length, `checking ${job.file}`);
    reference ??= await CheckReference.take(step, run, stored, verify);
    const check = await checkDeployable(step, { file: path.join(step.dir, job.file), format: job.format, weights: job.weights, inputs }, reference);
    result.files.push({
      format: job.format,
      file: job.file,
      bytes: built.bytes.length,
      weights: job.weights,
      inputs: inputs.map((i) => ({ name: i.name, shape: [job.format === 'tflite' ? 1 : null, i.size, i.size, 3] })),
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
  const text = JSON.stringify({ ...result, preprocessing: PREPROCESSING }, null, 2);
  fs.writeFileSync(path.join(step.dir, 'deployable.json'), text);
  step.written({ file: 'deployable.json', bytes: Buffer.byteLength(text) });
  step.progress('model', jobs.length, jobs.length);
  return result;
}

