/**
 * Runs a written ONNX or TFLite file in the format's own runtime — ONNX Runtime for
 * .onnx, LiteRT.js for .tflite — on photos prepared as the file's documentation says
 * (`decodeForNetwork`: centre square, resized, RGB; as float32 0…255), in a worker thread:
 * LiteRT.js computes on the thread that calls it, and an export must not stall the
 * engine. Used by the export's checks and by the tests.
 */
import fs from 'node:fs';
import { loadOnnxRuntime } from '../onnx/ort-loader';
import { openTflite } from '../tflite/litert-runtime';
import { decodeForNetwork } from '../tf/preprocess';
import type { TaskContext, TaskInput, TaskOutput } from '../workers/task-types';

export interface DeployableRunInput {
  file: string;
  format: 'onnx' | 'tflite';
  photos: string[];
  /** The file's image inputs: name and square size. */
  inputs: Array<{ name: string; size: number }>;
}

export interface DeployableRunOutput {
  /** "onnxruntime-node 1.x" or "LiteRT.js 2.x". */
  runtime: string;
  /** `[photos, classes]`, row-major. */
  probabilities: Float32Array;
  classes: number;
}

/** ONNX batches this many photos per call (TFLite files have a batch of one). */
const ONNX_BATCH = 16;

export async function runDeployableTask(input: TaskInput<'run-deployable'>, ctx: TaskContext<'run-deployable'>): Promise<TaskOutput<'run-deployable'>> {
  const bytes = new Uint8Array(fs.readFileSync(input.file));
  const rows: Float32Array[] = [];
  let runtime: string;
  const batches = chunks(input.photos, input.format === 'onnx' ? ONNX_BATCH : 1);
  const pixels = async (photos: string[], size: number) => {
    const per = size * size * 3;
    const data = new Float32Array(photos.length * per);
    for (let i = 0; i < photos.length; i++) data.set(await decodeForNetwork(photos[i], size), i * per);
    return data;
  };
  if (input.format === 'onnx') {
    const loaded = loadOnnxRuntime();
    if (!loaded.ok) throw new Error(loaded.reason);
    runtime = `onnxruntime-node ${loaded.version}`;
    const session = await loaded.ort.InferenceSession.create(bytes);
    try {
      for (const [b, photos] of batches.entries()) {
        if (ctx.signal.aborted) break;
        const feeds: Record<string, InstanceType<typeof loaded.ort.Tensor>> = {};
        for (const i of input.inputs) feeds[i.name] = new loaded.ort.Tensor('float32', await pixels(photos, i.size), [photos.length, i.size, i.size, 3]);
        rows.push((await session.run(feeds)).probabilities.data as Float32Array);
        ctx.progress('run', b + 1, batches.length);
      }
    } finally {
      await session.release();
    }
  } else {
    const model = await openTflite(bytes);
    runtime = `LiteRT.js ${model.version}`;
    try {
      for (const [b, photos] of batches.entries()) {
        if (ctx.signal.aborted) break;
        const feeds: Record<string, Float32Array> = {};
        for (const i of input.inputs) feeds[i.name] = await pixels(photos, i.size);
        rows.push((await model.run(feeds)).probabilities);
        ctx.progress('run', b + 1, batches.length);
      }
    } finally {
      model.close();
    }
  }
  const total = rows.reduce((a, r) => a + r.length, 0);
  const probabilities = new Float32Array(total);
  let offset = 0;
  for (const r of rows) {
    probabilities.set(r, offset);
    offset += r.length;
  }
  return { runtime, probabilities, classes: input.photos.length ? total / input.photos.length : 0 };
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
