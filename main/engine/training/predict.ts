/**
 * Prediction with a stored run: the run's backbones (with fine-tuned layers applied),
 * the one preprocessing function, the head, averaged over the run's views. The same
 * path scores images inside and outside the project, so `graft predict` agrees with
 * the in-project evaluation.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PredictionItem } from '../../../shared/api/training';
import type { Db } from '../catalogue/open';
import { currentRunId, runWeights } from '../catalogue/runs';
import { GraftError } from '../errors';
import { IMAGE_EXTENSIONS, isImageFileName } from '../../../shared/image-files';
import { decodeModel, type StoredModel } from '../model/stored-model';
import { isUnfamiliar, type NoveltyCalibration } from '../model/novelty';
import { PixelSlabs } from '../inference/pixel-slabs';
import { inferenceChoice } from '../inference/inference-runtime';
import { defaultLayout, OnnxSessionPool, type FeedTensor, type PoolLayout } from '../onnx/session-pool';
import { EmbedPool } from '../tf/embed-pool';
import { decodeForNetwork, type ImageSource } from '../tf/preprocess';
import { getBackbone } from '../tf/registry';
import { resolveWeights } from '../tf/weights';
import type { Resident, WorkerPool } from '../workers/worker-pool';
import { availableCores } from '../cores';

/** One image through a model: its class probabilities, and how like the training photos it is. */
export interface Classified {
  probabilities: Float32Array;
  /** Similarity to the nearest photo the model keeps (model/novelty.ts), or null when the model cannot tell. */
  similarity: number | null;
}

/** What predicting files needs of a model: a project's run, or an exported model (`asClassifier`). */
export interface Classifier {
  readonly classes: string[];
  /** When a photo is unlike anything the model was trained on; null when the model cannot tell. */
  readonly novelty: NoveltyCalibration | null;
  /** Rejects on an unreadable image. */
  classify(sources: ImageSource[]): Promise<Classified[]>;
}

export interface Predictor extends Classifier {
  readonly runId: string;
  readonly model: StoredModel;
  /** Class probabilities per image (in `classes` order). Rejects on an unreadable image. */
  probabilities(sources: ImageSource[]): Promise<Float32Array[]>;
  dispose(): void;
}

/** A model that gives probabilities only (an exported one): no similarity to tell novelty by. */
export function asClassifier(model: { classes: string[]; probabilities(sources: ImageSource[]): Promise<Float32Array[]> }): Classifier {
  return {
    classes: model.classes,
    novelty: null,
    classify: async (sources) => (await model.probabilities(sources)).map((probabilities) => ({ probabilities, similarity: null })),
  };
}

/** A predictor from its `classify`: the model's novelty calibration and plain probabilities beside it. */
function predictor(model: StoredModel, runId: string, classify: Classifier['classify'], dispose: () => void): Predictor {
  return {
    runId,
    classes: model.classes,
    model,
    novelty: model.novelty ?? null,
    classify,
    probabilities: async (sources) => (await classify(sources)).map((c) => c.probabilities),
    dispose,
  };
}

/** Probabilities with each image's similarity to the nearest voter (`similarity`: null when the model cannot tell). */
function classified(probabilities: Float32Array[], similarity: Float32Array | null): Classified[] {
  return probabilities.map((p, i) => ({ probabilities: p, similarity: similarity ? Math.round(similarity[i] * 1e4) / 1e4 : null }));
}

/** The similarities of centre-view codes, from the vote resident in a computing worker (null when the model keeps none). */
async function similarities(model: StoredModel, resident: Resident, codes: Float32Array | null, rows: number): Promise<Float32Array | null> {
  return model.novelty && codes ? resident.run('score-novelty', { x: codes, rows }) : null;
}

/**
 * Loads the current model (or a given run) for prediction. Nothing of it runs on the
 * calling thread: each backbone runs in its extraction worker (the same as for codes, with
 * the run's fine-tuned layers applied), the head and vote in a computing worker of `pool`.
 */
export async function loadPredictor(db: Db, options: { runId?: string; modelsDir?: string; pool: WorkerPool }): Promise<Predictor> {
  const runId = options.runId ?? currentRunId(db);
  if (!runId) {
    throw new GraftError('no_trained_model', 'This project has no trained model yet. Train one first (graft train --project FILE).');
  }
  return predictorFor(decodeModel(runWeights(db, runId)), runId, options);
}

/**
 * A predictor for a decoded model (a project's run, or one a test built): on ONNX Runtime,
 * the whole model compiled into one graph (backbones, head, vote, views, similarity to the
 * nearest voter) in session workers; otherwise each backbone in its TF.js extraction worker
 * and the head in a computing worker.
 */
export async function predictorFor(model: StoredModel, runId: string, options: { modelsDir?: string; pool: WorkerPool }): Promise<Predictor> {
  if (inferenceChoice().onnx) {
    try {
      return await onnxPredictor(model, runId, options);
    } catch (err) {
      // A backbone the compiler cannot express: the model runs on TF.js instead.
      if (!(err instanceof GraftError && err.code === 'bad_model')) throw err;
    }
  }
  return tfjsPredictor(model, runId, options);
}

/**
 * One session whose operators use every core, unlike codes (one single-threaded session per
 * core): a prediction is mostly one photo, which one single-threaded session would compute
 * on one core. Measured on the default pair at 320 px, 2 cores: one photo 22.7 ms against
 * 28 (median of 30), and batches of 16 still 58-61 photos/s against 45-46.
 *
 * Its threads sleep between operators. Spinning (ORT's default) measured 10.1-10.3 ms per
 * photo against 11.1-11.5 for the default pair's graph on a quiet AMD EPYC, but 24-38 ms
 * against 20-28 with two other busy processes on the two cores (batches of 16: 29-31 against
 * 23-24): a prediction pane used beside training or other apps would lose more than it gains.
 */
function predictionLayout(): Partial<PoolLayout> {
  return { workers: 1, settings: { ...defaultLayout().settings, intraOpThreads: availableCores() } };
}

async function onnxPredictor(model: StoredModel, runId: string, options: { modelsDir?: string; pool: WorkerPool }): Promise<Predictor> {
  // Compiling reads and folds every backbone's weights (hundreds of milliseconds): a
  // computing worker does it, so the first prediction never stalls the event loop.
  const compiled = await options.pool.run('compile-classifier', { model, modelsDir: options.modelsDir });
  const sessions = await OnnxSessionPool.start(compiled.bytes, predictionLayout());
  const k = model.classes.length;
  const slabs = new PixelSlabs();
  return predictor(
    model,
    runId,
    async (sources) => {
      const feeds: Record<string, FeedTensor> = {};
      const taken: Uint8Array[] = [];
      try {
        for (const input of compiled.inputs) {
          const per = input.size * input.size * 3;
          const pixels = slabs.take(sources.length * per);
          taken.push(pixels);
          const decoded = await Promise.all(sources.map((s) => decodeForNetwork(s, input.size)));
          decoded.forEach((rgb, i) => pixels.set(rgb, i * per));
          feeds[input.name] = { type: 'uint8', data: pixels, dims: [sources.length, input.size, input.size, 3] };
        }
        const out = await sessions.run(feeds);
        const p = out.probabilities.data as Float32Array;
        // The graph's "similarity" output (present when the model has a vote).
        const similarity = model.novelty && out.similarity ? (out.similarity.data as Float32Array) : null;
        return classified(
          sources.map((_, i) => p.slice(i * k, (i + 1) * k)),
          similarity,
        );
      } finally {
        for (const t of taken) slabs.give(t);
      }
    },
    () => {
      void sessions.close();
    },
  );
}

async function tfjsPredictor(model: StoredModel, runId: string, options: { modelsDir?: string; pool: WorkerPool }): Promise<Predictor> {
  const pools: EmbedPool[] = [];
  let head: Resident | null = null;
  try {
    for (const b of model.backbones) {
      const spec = getBackbone(b.id);
      const weights = await resolveWeights(spec, { modelsDir: options.modelsDir });
      const tuned = model.fineTuned?.backbone === b.id ? model.fineTuned.layers : undefined;
      const pool = await EmbedPool.start(spec, weights.dir, { workers: 1, tunedLayers: tuned });
      pools.push(pool);
      if (pool.dim !== b.dim) throw new GraftError('bad_model', `The backbone ${b.id} gives ${pool.dim}-d codes but the model was trained on ${b.dim}-d ones.`);
    }
    // Once for the predictor's life: the neighbour vote's kernel is every voter's codes.
    head = (await options.pool.resident('load-head', { head: model.head, blocks: model.backbones.map((b) => b.dim) })).resident;
  } catch (err) {
    await Promise.all(pools.map((p) => p.close()));
    await head?.release();
    throw err;
  }
  const dim = model.head.inputDim;
  const k = model.classes.length;
  const residentHead = head;
  const slabs = new PixelSlabs();
  return predictor(
    model,
    runId,
    async (sources) => {
      const sum = sources.map(() => new Float32Array(k));
      let centre: Float32Array | null = null;
      for (const view of model.views) {
        const x = new Float32Array(sources.length * dim);
        if (view === 'center') centre = x;
        let offset = 0;
        for (const pool of pools) {
          const size = pool.spec.inputSize;
          const per = size * size * 3;
          const pixels = slabs.take(sources.length * per);
          let codes: Float32Array;
          try {
            const decoded = await Promise.all(sources.map((s) => decodeForNetwork(s, size, { flip: view === 'flip' })));
            decoded.forEach((rgb, i) => pixels.set(rgb, i * per));
            codes = await pool.embed(pixels, sources.length);
          } finally {
            slabs.give(pixels);
          }
          for (let i = 0; i < sources.length; i++) x.set(codes.subarray(i * pool.dim, (i + 1) * pool.dim), i * dim + offset);
          offset += pool.dim;
        }
        const p = await residentHead.run('score-head', { x, rows: sources.length });
        sum.forEach((s, i) => {
          for (let j = 0; j < k; j++) s[j] += p[i * k + j] / model.views.length;
        });
      }
      return classified(sum, await similarities(model, residentHead, centre, sources.length));
    },
    () => {
      void residentHead.release();
      for (const pool of pools) void pool.close();
    },
  );
}

/**
 * One image's prediction: the top-k, and, when the model can tell, its similarity to the
 * nearest training photo and whether that makes it unlike anything the model was trained on.
 */
export function predictionOf(model: Pick<Classifier, 'classes' | 'novelty'>, path: string, result: Classified, k: number): PredictionItem {
  const item: PredictionItem = { path, top: topK(model.classes, result.probabilities, k) };
  if (model.novelty && result.similarity !== null) {
    item.similarity = result.similarity;
    item.unfamiliar = isUnfamiliar(result.similarity, model.novelty);
  }
  return item;
}

/** The top-k labels of one probability vector. */
export function topK(classes: string[], probs: Float32Array, k: number): Array<{ label: string; probability: number }> {
  return Array.from(probs, (p, i) => ({ label: classes[i], probability: Math.round(p * 1e4) / 1e4 }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, Math.min(k, classes.length));
}

/**
 * Files and folders → image files (folders searched recursively, hidden entries
 * skipped, sorted). Throws a one-line reason for a missing path, a folder without
 * images, or a file that is not an image by name.
 */
export function expandInputs(inputs: string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    const abs = path.resolve(input);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      throw new GraftError('not_found', `${input} does not exist.`);
    }
    if (stat.isDirectory()) {
      const found = walk(abs);
      if (!found.length) throw new GraftError('not_found', `${input} holds no images (looked for ${Object.keys(IMAGE_EXTENSIONS).join(', ')} in it and its subfolders).`);
      out.push(...found);
    } else {
      out.push(abs);
    }
  }
  return out;
}

function walk(dir: string): string[] {
  const files: string[] = [];
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...walk(p));
    else if (e.isFile() && isImageFileName(e.name)) files.push(p);
  }
  return files;
}

/**
 * Predicts many files in small batches. With `strict`, the first unreadable file
 * fails the whole call with its reason (the CLI's contract); otherwise it is reported
 * in its item's `error`.
 */
export async function predictFiles(
  predictor: Classifier,
  files: string[],
  options: { top: number; strict?: boolean; signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
): Promise<PredictionItem[]> {
  const items: PredictionItem[] = [];
  const batch = 16;
  for (let start = 0; start < files.length; start += batch) {
    if (options.signal?.aborted) throw new GraftError('cancelled', 'Prediction was cancelled.');
    const chunk = files.slice(start, start + batch);
    let results: Array<Classified | Error>;
    try {
      results = await predictor.classify(chunk);
    } catch {
      // One bad file in the batch: score them one by one to tell which.
      results = [];
      for (const f of chunk) {
        try {
          results.push((await predictor.classify([f]))[0]);
        } catch (err) {
          if (options.strict) throw err;
          results.push(err as Error);
        }
      }
    }
    chunk.forEach((f, i) => {
      const r = results[i];
      items.push(r instanceof Error ? { path: f, top: [], error: r.message.split('\n')[0] } : predictionOf(predictor, f, r, options.top));
    });
    options.onProgress?.(Math.min(start + batch, files.length), files.length);
  }
  return items;
}
