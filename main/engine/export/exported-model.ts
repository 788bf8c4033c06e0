/**
 * Loads a model folder that Graft exported (or any Teachable Machine image model) and
 * predicts with it, without a project: `graft predict --model DIR` uses this. The
 * images go through Graft's one preprocessing function, which is exactly what
 * `metadata.json` describes (center square, resized, scaled to [-1, 1]), so the
 * probabilities match the project's own prediction.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { GraftError } from '../errors';
import { decodeForNetwork, toNetworkRange, type ImageSource } from '../tf/preprocess';
import { getTf } from '../tf/runtime';
import { topK } from '../training/predict';
import type { TaskContext, TaskInput, TaskOutput } from '../workers/task-types';
import type { WorkerPool } from '../workers/worker-pool';
import { disposeLayersModel } from './dispose-model';
import { readModelArtifacts, readModelJsonFile } from './model-folder-io';
import type { ModelMetadata } from './model-export';

export interface ExportedModel {
  readonly dir: string;
  /** The run the model was exported from ('' for models Graft did not make). */
  readonly runId: string;
  /** Output order. */
  readonly classes: string[];
  readonly labels: string[];
  readonly imageSize: number;
  readonly format: 'layers-model' | 'graph-model';
  readonly metadata: Partial<ModelMetadata> & { labels: string[] };
  /** Class probabilities per image, in `classes` order. Rejects on an unreadable image. */
  probabilities(sources: ImageSource[]): Promise<Float32Array[]>;
  /** Top-k labels per image. */
  predict(sources: ImageSource[], top?: number): Promise<Array<Array<{ label: string; probability: number }>>>;
  dispose(): void;
}

const BATCH = 16;

/**
 * The model's files are loaded and run in a worker of `pool` (TensorFlow work); this side
 * reads metadata.json, decodes the images (sharp, off the main thread) and hands the worker
 * their RGB bytes.
 */
export async function loadExportedModel(dir: string, pool: WorkerPool): Promise<ExportedModel> {
  const abs = path.resolve(dir);
  const metadata = readMetadata(abs);
  const { output: loaded, resident } = await pool.resident('load-exported-model', { dir: abs });
  const size = loaded.imageSize;
  let closed = false;

  async function probabilities(sources: ImageSource[]): Promise<Float32Array[]> {
    if (closed) throw new GraftError('bad_model', 'The exported model was already closed.');
    const out: Float32Array[] = [];
    const per = size * size * 3;
    const k = metadata.labels.length;
    for (let start = 0; start < sources.length; start += BATCH) {
      const chunk = sources.slice(start, start + BATCH);
      const pixels = new Uint8Array(chunk.length * per);
      const decoded = await Promise.all(chunk.map((s) => decodeForNetwork(s, size)));
      decoded.forEach((rgb, i) => pixels.set(rgb, i * per));
      const data = await resident.run('predict-exported', { pixels, n: chunk.length });
      for (let i = 0; i < chunk.length; i++) out.push(data.slice(i * k, (i + 1) * k));
    }
    return out;
  }

  return {
    dir: abs,
    runId: loaded.runId,
    classes: metadata.labels,
    labels: metadata.labels,
    imageSize: size,
    format: metadata.graft?.modelFormat === 'graph-model' ? 'graph-model' : 'layers-model',
    metadata,
    probabilities,
    async predict(sources, top = 3) {
      return (await probabilities(sources)).map((p) => topK(metadata.labels, p, top));
    },
    dispose() {
      closed = true;
      void resident.release();
    },
  };
}

interface LoadedExport {
  layers: tfjs.LayersModel | null;
  graph: tfjs.GraphModel | null;
  size: number;
  range: readonly [number, number];
  classes: number;
  dispose(): void;
}

const RESIDENT = 'exported-model';

/** The worker's side: loads the model's files and keeps them for `predictExported`. */
export async function loadExportedModelResident(input: TaskInput<'load-exported-model'>, ctx: TaskContext<'load-exported-model'>): Promise<TaskOutput<'load-exported-model'>> {
  const abs = input.dir;
  const metadata = readMetadata(abs);
  const json = readModelJsonFile(abs);
  const { tf } = await getTf();
  const artifacts = readModelArtifacts(abs);
  const isGraph = json.format === 'graph-model' || metadata.graft?.modelFormat === 'graph-model';
  let layers: tfjs.LayersModel | null = null;
  let graph: tfjs.GraphModel | null = null;
  try {
    if (isGraph) graph = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    else layers = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw new GraftError('bad_model', `Cannot load the model in ${abs}: ${(err as Error).message.split('\n')[0]}. The files may be damaged: export again.`);
  }
  const dispose = () => {
    if (layers) disposeLayersModel(layers);
    graph?.dispose();
    layers = null;
    graph = null;
  };
  const outputs = layers ? (layers.outputs[0].shape[1] as number) : metadata.labels.length;
  if (outputs !== metadata.labels.length) {
    dispose();
    throw new GraftError('bad_model', `The model in ${abs} has ${outputs} outputs but metadata.json lists ${metadata.labels.length} labels: the files do not belong together.`);
  }
  const size = metadata.imageSize ?? metadata.graft?.input.shape[1] ?? 224;
  // Teachable Machine's own models are fed [-1, 1] too; older Graft metadata says so explicitly.
  const range = (metadata.graft?.preprocessing?.range ?? [-1, 1]) as readonly [number, number];
  ctx.residents.get(RESIDENT)?.dispose();
  const loaded: LoadedExport = { get layers() { return layers; }, get graph() { return graph; }, size, range, classes: metadata.labels.length, dispose };
  ctx.residents.set(RESIDENT, loaded);
  return { runId: metadata.graft?.runId ?? '', classes: metadata.labels, imageSize: size };
}

/** The worker's side: probabilities of a batch of RGB images with the loaded model. */
export async function predictExported(input: TaskInput<'predict-exported'>, ctx: TaskContext<'predict-exported'>): Promise<TaskOutput<'predict-exported'>> {
  const loaded = ctx.residents.get(RESIDENT) as LoadedExport | undefined;
  if (!loaded || (!loaded.layers && !loaded.graph)) throw new GraftError('bad_model', 'No exported model is loaded in this worker.');
  const { tf } = await getTf();
  const { size, range } = loaded;
  const values = toNetworkRange(input.pixels, range);
  const probs = tf.tidy(() => {
    const x = tf.tensor4d(values, [input.n, size, size, 3]);
    const y = loaded.layers ? loaded.layers.predict(x) : loaded.graph!.predict(x);
    return (Array.isArray(y) ? y[0] : y) as tfjs.Tensor;
  });
  const data = new Float32Array((await probs.data()) as Float32Array);
  probs.dispose();
  return data;
}

function readMetadata(dir: string): Partial<ModelMetadata> & { labels: string[] } {
  const file = path.join(dir, 'metadata.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const hint = fs.existsSync(dir) ? 'it has no metadata.json' : 'the folder does not exist';
      throw new GraftError('not_found', `${dir} is not an exported model (${hint}). Export one with "graft export <dir> --project FILE".`);
    }
    throw new GraftError('io', `Cannot read ${file}: ${(err as Error).message}`);
  }
  let meta: Partial<ModelMetadata>;
  try {
    meta = JSON.parse(text) as Partial<ModelMetadata>;
  } catch (err) {
    throw new GraftError('bad_model', `${file} is not valid JSON (${(err as Error).message}).`);
  }
  if (!meta || !Array.isArray(meta.labels) || !meta.labels.length || !meta.labels.every((l) => typeof l === 'string')) {
    throw new GraftError('bad_model', `${file} has no "labels" list, so the model's outputs cannot be named.`);
  }
  return meta as Partial<ModelMetadata> & { labels: string[] };
}
