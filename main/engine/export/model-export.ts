/**
 * Writes the trained run as a standalone model folder in Teachable Machine's image
 * format: `model.json` + `weights.bin` (TF.js layers model, or graph model when the
 * backbone is one) and `metadata.json` (Teachable Machine's fields, plus a `graft`
 * section with everything needed to reproduce and to feed the model correctly).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { View } from '../../../shared/api/codes';
import type { RunDetail, RunMetrics } from '../../../shared/api/training';
import { GraftError } from '../errors';
import { getBackbone } from '../tf/registry';
import { resolveWeights } from '../tf/weights';
import type { StoredModel } from '../model/stored-model';
import type { NoveltyCalibration } from '../model/novelty';
import { appVersion, tfjsVersion } from './app-version';
import type { ExportStep } from './export-types';
import { buildGraphModelExport } from './graph-model-export';
import { EXPORT_INPUT_RANGE, type BuiltArtifacts, type ResolvedBackbone } from './layers-model-export';
import { writeModelFolder } from './model-folder-io';

/** The Teachable Machine image-model format version this export follows. */
const TM_FORMAT = { tmVersion: '2.4.10', packageVersion: '0.8.5', packageName: '@teachablemachine/image' } as const;

/** How to turn an image file into the model's input: written into metadata.json. */
export const PREPROCESSING = {
  orientation: 'apply the EXIF orientation first',
  colorSpace: 'sRGB; transparency flattened onto white',
  crop: 'center square (the largest square in the middle of the image)',
  resize: 'to imageSize × imageSize, Lanczos-3 (sharp/libvips default)',
  channels: 'RGB',
  layout: 'NHWC: [batch, imageSize, imageSize, 3], float32',
  range: EXPORT_INPUT_RANGE,
  formula: 'value = pixel / 127.5 - 1  (0…255 → -1…1)',
} as const;

export interface GraftMetadata {
  formatVersion: 1;
  appVersion: string;
  modelFormat: 'layers-model' | 'graph-model';
  runId: string;
  seed: number;
  backbones: Array<{ id: string; name: string; dim: number; format: string; inputRange: readonly [number, number] }>;
  views: View[];
  /** Members whose probabilities the model averages, the neighbour vote included. */
  ensembleMembers: number;
  /** The neighbour vote among them (main/engine/model/vote.ts): how many labelled images vote (training and validation). */
  neighbourVote: { voters: number } | null;
  /** Below `threshold`, the mean per-network cosine to the nearest voter, a photo is unlike anything the model was trained on (main/engine/model/novelty.ts). */
  novelty: NoveltyCalibration | null;
  fineTuned: boolean;
  input: { name: string; shape: Array<number | null>; dtype: 'float32' };
  output: { name: string; shape: Array<number | null>; meaning: string };
  preprocessing: typeof PREPROCESSING;
  metrics: {
    accuracy: RunMetrics['accuracy'] | null;
    counts: Record<string, number> | null;
    validation: unknown;
    test: unknown;
  };
  trainedAt: string;
  exportedAt: string;
}

export interface ModelMetadata {
  tfjsVersion: string;
  tmVersion: string;
  packageVersion: string;
  packageName: string;
  modelName: string;
  timeStamp: string;
  labels: string[];
  imageSize: number;
  userMetadata: Record<string, unknown>;
  graft: GraftMetadata;
}

export async function exportModel(step: ExportStep, run: RunDetail, stored: StoredModel, modelName: string): Promise<{ format: 'layers-model' | 'graph-model' }> {
  step.progress('model', 0, 3, 'loading the backbones');
  const backbones: ResolvedBackbone[] = [];
  for (const b of stored.backbones) {
    const spec = getBackbone(b.id);
    const weights = await resolveWeights(spec, { modelsDir: step.modelsDir, signal: step.signal });
    backbones.push({ spec, dir: weights.dir });
  }
  if (step.signal?.aborted) throw new GraftError('cancelled', 'The export was cancelled; nothing was written.');
  const formats = new Set(backbones.map((b) => b.spec.format));
  if (formats.has('saved_model')) {
    throw new GraftError('bad_model', 'This run uses a TensorFlow SavedModel backbone, which TF.js cannot run. Convert it with tensorflowjs_converter and train again, or export the codes instead.');
  }
  let built: BuiltArtifacts;
  step.progress('model', 1, 3, 'building the model');
  if (formats.has('graph')) {
    if (backbones.length > 1) {
      throw new GraftError('bad_model', `This run combines a graph-model backbone with others (${stored.backbones.map((b) => b.id).join(' + ')}); Graft exports a graph-model backbone only on its own. Train with that backbone alone, or with layers-model backbones only.`);
    }
    if (stored.fineTuned) throw new GraftError('bad_model', 'Fine-tuned graph-model backbones cannot be exported.');
    built = buildGraphModelExport(stored, backbones[0]);
  } else {
    // Folding batch-norm and laying out every weight is TensorFlow work: a worker's.
    built = await step.workers.run(
      'build-layers-export',
      { projectPath: step.projectPath, runId: run.id, backbones: backbones.map((b) => ({ id: b.spec.id, dir: b.dir })) },
      { signal: step.signal },
    );
  }
  if (step.signal?.aborted) throw new GraftError('cancelled', 'The export was cancelled; nothing was written.');
  step.progress('model', 2, 3, 'writing the model');
  for (const f of writeModelFolder(step.dir, {
    modelTopology: built.modelTopology,
    weightSpecs: built.weightSpecs,
    weightData: built.weightData,
    format: built.format,
    generatedBy: `Graft ${appVersion()} (TensorFlow.js ${tfjsVersion()})`,
    convertedBy: null,
    signature: built.signature,
  })) step.written(f);

  const now = new Date();
  const metadata: ModelMetadata = {
    tfjsVersion: tfjsVersion(),
    ...TM_FORMAT,
    modelName,
    timeStamp: now.toISOString(),
    labels: stored.classes,
    imageSize: built.inputSize,
    userMetadata: {},
    graft: {
      formatVersion: 1,
      appVersion: appVersion(),
      modelFormat: built.format,
      runId: run.id,
      seed: run.config.seed,
      backbones: backbones.map((b) => ({ id: b.spec.id, name: b.spec.name, dim: b.spec.dim, format: b.spec.format, inputRange: b.spec.inputRange })),
      views: stored.views,
      ensembleMembers: stored.head.members.length,
      neighbourVote: voteOf(stored),
      novelty: stored.novelty ?? null,
      fineTuned: Boolean(stored.fineTuned),
      input: { name: built.inputName, shape: [null, built.inputSize, built.inputSize, 3], dtype: 'float32' },
      output: { name: built.outputName, shape: [null, stored.classes.length], meaning: 'class probabilities, in the order of "labels"' },
      preprocessing: PREPROCESSING,
      metrics: {
        accuracy: run.metrics?.accuracy ?? null,
        counts: run.metrics?.counts ?? null,
        validation: run.metrics?.validation ?? null,
        test: run.metrics?.test ?? null,
      },
      trainedAt: new Date(run.finishedAt ?? run.createdAt).toISOString(),
      exportedAt: now.toISOString(),
    },
  };
  const text = JSON.stringify(metadata, null, 2);
  fs.writeFileSync(path.join(step.dir, 'metadata.json'), text);
  step.written({ file: 'metadata.json', bytes: Buffer.byteLength(text) });
  step.progress('model', 3, 3);
  return { format: built.format };
}

function voteOf(stored: StoredModel): GraftMetadata['neighbourVote'] {
  // The vote is the member that ends without an activation (trained heads end in softmax).
  const vote = stored.head.members.find((m) => m.layers[m.layers.length - 1].activation === 'linear');
  return vote ? { voters: vote.layers[0].outDim } : null;
}
