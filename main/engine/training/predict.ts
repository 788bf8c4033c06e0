/**
 * Prediction with a stored run: the run's backbones (with fine-tuned layers applied),
 * the one preprocessing function, the head, averaged over the run's views. The same
 * path scores images inside and outside the project, so `graft predict` agrees with
 * the in-project evaluation.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type { PredictionItem } from '../../../shared/api/training';
import type { Db } from '../catalogue/open';
import { GraftError } from '../errors';
import { isImageFileName } from '../importer/formats';
import { loadBackbone, type Backbone } from '../tf/backbone';
import type { ImageSource } from '../tf/preprocess';
import { getTf } from '../tf/runtime';
import { headPredictor } from '../model/head';
import { currentRunId, runWeights } from './runs';
import { decodeModel, type StoredModel } from '../model/stored-model';

export interface Predictor {
  readonly runId: string;
  readonly classes: string[];
  readonly model: StoredModel;
  /** Class probabilities per image (in `classes` order). Rejects on an unreadable image. */
  probabilities(sources: ImageSource[]): Promise<Float32Array[]>;
  dispose(): void;
}

/** Loads the current model (or a given run) for prediction. */
export async function loadPredictor(db: Db, options: { runId?: string; modelsDir?: string } = {}): Promise<Predictor> {
  const runId = options.runId ?? currentRunId(db);
  if (!runId) {
    throw new GraftError('no_trained_model', 'This project has no trained model yet. Train one first (graft train --project FILE).');
  }
  const model = decodeModel(runWeights(db, runId));
  return predictorFor(model, runId, options.modelsDir);
}

/** A predictor for a decoded model (also used for exported models that carry the same format). */
export async function predictorFor(model: StoredModel, runId: string, modelsDir?: string): Promise<Predictor> {
  const { tf } = await getTf();
  const backbones: Backbone[] = [];
  try {
    for (const b of model.backbones) {
      const tuned = model.fineTuned?.backbone === b.id ? model.fineTuned : undefined;
      // Fine-tuned weights go into the layers model, so its plain (unfused) path must run.
      const bb = await loadBackbone(b.id, { modelsDir, fast: !tuned });
      backbones.push(bb);
      if (bb.dim !== b.dim) throw new GraftError('bad_model', `The backbone ${b.id} gives ${bb.dim}-d codes but the model was trained on ${b.dim}-d ones.`);
      if (tuned) applyLayerWeights(tf, bb, tuned.layers);
    }
  } catch (err) {
    backbones.forEach((b) => b.dispose());
    throw err;
  }
  const dim = model.head.inputDim;
  const k = model.classes.length;
  // Once for the predictor's life: the neighbour vote's kernel is every voter's codes.
  const head = headPredictor(tf, model.head);
  return {
    runId,
    classes: model.classes,
    model,
    async probabilities(sources) {
      const sum = sources.map(() => new Float32Array(k));
      for (const view of model.views) {
        const x = new Float32Array(sources.length * dim);
        let offset = 0;
        for (const bb of backbones) {
          const codes = await bb.embedImages(sources, { flip: view === 'flip' });
          codes.forEach((c, i) => x.set(c, i * dim + offset));
          offset += bb.dim;
        }
        const p = head.predict(x, sources.length);
        sum.forEach((s, i) => {
          for (let j = 0; j < k; j++) s[j] += p[i * k + j] / model.views.length;
        });
      }
      return sum;
    },
    dispose() {
      head.dispose();
      backbones.forEach((b) => b.dispose());
    },
  };
}

function applyLayerWeights(tf: typeof TF, bb: Backbone, layers: NonNullable<StoredModel['fineTuned']>['layers']): void {
  if (!bb.layersModel) throw new GraftError('bad_model', `${bb.id} is not a layers model, but the stored model fine-tuned it.`);
  for (const l of layers) {
    let layer: TF.layers.Layer;
    try {
      layer = bb.layersModel.getLayer(l.name);
    } catch {
      throw new GraftError('bad_model', `The backbone ${bb.id} has no layer ${l.name}, which the model fine-tuned. The backbone's files changed; train again.`);
    }
    const tensors = l.weights.map((w) => tf.tensor(w.values, w.shape));
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
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
      if (!found.length) throw new GraftError('not_found', `${input} holds no images (looked for .jpg, .png, .webp, .gif, .tiff, .bmp, .avif in it and its subfolders).`);
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
  predictor: Pick<Predictor, 'classes' | 'probabilities'>,
  files: string[],
  options: { top: number; strict?: boolean; signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
): Promise<PredictionItem[]> {
  const items: PredictionItem[] = [];
  const batch = 16;
  for (let start = 0; start < files.length; start += batch) {
    if (options.signal?.aborted) throw new GraftError('cancelled', 'Prediction was cancelled.');
    const chunk = files.slice(start, start + batch);
    let probs: Array<Float32Array | Error>;
    try {
      probs = await predictor.probabilities(chunk);
    } catch {
      // One bad file in the batch: score them one by one to tell which.
      probs = [];
      for (const f of chunk) {
        try {
          probs.push((await predictor.probabilities([f]))[0]);
        } catch (err) {
          if (options.strict) throw err;
          probs.push(err as Error);
        }
      }
    }
    chunk.forEach((f, i) => {
      const p = probs[i];
      items.push(p instanceof Error ? { path: f, top: [], error: p.message.split('\n')[0] } : { path: f, top: topK(predictor.classes, p, options.top) });
    });
    options.onProgress?.(Math.min(start + batch, files.length), files.length);
  }
  return items;
}
