/**
 * Training methods: train a head on cached codes, list and manage runs, find likely
 * label mistakes, predict. Training is a job: `train.start` returns its id; per-epoch
 * metrics arrive as `training.epoch` events, progress as `job.progress` (stage 'codes',
 * 'head', 'fine-tune', 'score') and the `TrainResult` in `job.finished`.
 */
import { z } from 'zod';
import { method, returns } from '../contract';
import { DEFAULTS, type Setting } from '../defaults';
import type { Split } from '../types';
import type { View } from './codes';

const backboneId = z.string().min(1).max(200);
const runId = z.string().min(1).max(100);
const { training, head, fineTune, mistakes, predict } = DEFAULTS;

/** A whole number in the setting's range. */
function count(setting: Setting<number>) {
  return z.number().int().min(setting.min ?? 0).max(setting.max ?? Number.MAX_SAFE_INTEGER);
}
const topK = count(predict.topInStudio).default(predict.topInStudio.value);
const backbones = z.array(backboneId).min(training.backbones.min!).max(training.backbones.max!);

/** Every option left out takes its value from DEFAULTS (shared/defaults.ts). */
export const trainOptions = z.object({
  /** Backbones whose codes are concatenated. */
  backbones: backbones.optional(),
  /** Upper bound on head epochs (early stopping usually ends sooner). */
  epochs: count(head.maxEpochs).optional(),
  /** The head's Adam learning rate. */
  learningRate: z.number().positive().max(head.learningRate.max!).optional(),
  seed: count(training.seed).optional(),
  fineTune: z.boolean().optional(),
  /** Fine-tuning epochs; only with fineTune. */
  fineTuneEpochs: count(fineTune.epochs).optional(),
  /** Fine-tuning's Adam learning rate. */
  fineTuneLearningRate: z.number().positive().max(fineTune.learningRate.max!).optional(),
  /** Deal every image into train/validation/test again (otherwise splits are sticky). */
  reshuffle: z.boolean().optional(),
  /** Split fractions for images not yet dealt, e.g. {train: .8, validation: .1, test: .1}. */
  fractions: z.object({ train: z.number().positive(), validation: z.number().nonnegative(), test: z.number().nonnegative() }).optional(),
  /** Train on the mirrored view too (and average both views when predicting). */
  flip: z.boolean().optional(),
  hidden: count(head.hidden).optional(),
  members: count(head.members).optional(),
  /** Average a nearest-neighbour vote of the training and validation images in with the head. */
  vote: z.boolean().optional(),
});
export type TrainOptions = z.input<typeof trainOptions>;

export type RunStatus = 'running' | 'finished' | 'cancelled' | 'failed';

/** The head's settings; stored in every run's config. */
export interface HeadSettings {
  /** Hidden ReLU units; 0 = a plain softmax (logistic regression) head. */
  hidden: number;
  /** Dropout rate on the hidden layer (and on the input when `inputDropout` > 0). */
  dropout: number;
  inputDropout: number;
  /** L2 penalty on the weight matrices (not biases), added to the mean loss. */
  l2: number;
  labelSmoothing: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation loss; best weights are restored. */
  patience: number;
  /** Heads trained in lockstep from different seeds; their probabilities are averaged. */
  members: number;
  /** Weight each class's loss by n / (k · n_class) so rare classes count as much as common ones. */
  classWeights: boolean;
  /**
   * Temperature of a soft nearest-neighbour vote over the training and validation images'
   * codes, averaged in with the trained heads as one more member; 0 (or absent, in runs from
   * before it) = no vote.
   */
  vote?: number;
  /**
   * Each network's share of the vote's similarity, in the order of the run's backbones
   * (summing to 1); absent (runs from before it) = equal shares.
   */
  voteShares?: number[];
}

export interface FineTuneSettings {
  /** Top backbone layers with weights that are unfrozen (counted from the output). */
  layers: number;
  learningRate: number;
  epochs: number;
  batchSize: number;
}

/** Everything a run was made from; the run can be reproduced from it. */
export interface TrainConfig {
  seed: number;
  backbones: string[];
  /** Views trained on; prediction averages the same views. */
  views: View[];
  head: HeadSettings;
  fractions: { train: number; validation: number; test: number };
  reshuffle: boolean;
  fineTune: FineTuneSettings | null;
  /** The exact examples: image ids, their class index and split ('t'rain, 'v'alidation, 's' test). */
  dataset: { imageIds: number[]; classIndex: number[]; splits: string };
  /** Graft version that trained it. */
  version: string;
}

export interface StoredEpoch {
  stage: 'head' | 'fine-tune';
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvaluationResult {
  accuracy: number;
  count: number;
  loss: number;
  perClass: Record<string, ClassScores>;
  /** confusion[true][predicted], in the run's class order. */
  confusion: number[][];
  /** The image ids behind each confusion cell, [true][predicted] (runs trained before this field existed lack it). */
  cellImageIds?: number[][][];
}

export interface ExcludedReport {
  /** Same bytes under different class folders; pick a label to train on them. */
  conflicts: number;
  unlabelled: number;
  /** Images whose codes could not be computed (missing or unreadable files). */
  unreadable: Array<{ path: string; reason: string }>;
}

export interface RunMetrics {
  /**
   * Validation is scored with only the training images in the neighbour vote; the stored
   * model (train and test figures) also has the validation images voting.
   */
  accuracy: { train: number; validation: number | null; test: number | null };
  counts: Record<Split, number>;
  validation: EvaluationResult | null;
  test: EvaluationResult | null;
  bestEpoch: number;
  excluded: ExcludedReport;
  fineTune?: { validationBefore: number; validationAfter: number; kept: boolean; epochs: number; seconds: number };
}

export interface RunSummary {
  id: string;
  status: RunStatus;
  /** This run is the project's current model. */
  current: boolean;
  createdAt: number;
  finishedAt: number | null;
  seconds: number | null;
  backbones: string[];
  seed: number;
  fineTune: boolean;
  classes: string[];
  epochs: number;
  accuracy: RunMetrics['accuracy'] | null;
  error: string | null;
}

export interface RunDetail extends RunSummary {
  config: TrainConfig;
  history: StoredEpoch[];
  metrics: RunMetrics | null;
}

/** What `graft train --json` prints and the train job's result. */
export interface TrainResult {
  runId: string;
  classes: string[];
  accuracy: { train: number; validation: number | null; test: number | null };
  /** On the test split (validation when there is no test split). */
  perClass: Record<string, ClassScores>;
  confusion: number[][];
  seconds: number;
  excluded: ExcludedReport;
  /** Present when the run fine-tuned: validation accuracy before and after, and whether the fine-tuned weights were kept. */
  fineTune?: RunMetrics['fineTune'];
}

export interface Suspect {
  imageId: number;
  path: string;
  label: string;
  predicted: string;
  /** Out-of-fold probability of `predicted`. */
  confidence: number;
  /** Out-of-fold probability of the given label. */
  labelProbability: number;
}

export interface NearDuplicate {
  a: string;
  b: string;
  aImageId: number;
  bImageId: number;
  aLabel: string;
  bLabel: string;
  /** Cosine similarity of the images' codes (1 = identical codes). */
  similarity: number;
}

export interface MistakesResult {
  suspects: Suspect[];
  nearDuplicates: NearDuplicate[];
  /** Out-of-fold accuracy of the k-fold heads: how far to trust the ranking. */
  outOfFoldAccuracy: number;
  /** Images that could not be scored (conflicts), listed for review too. */
  conflicts: Array<{ imageId: number; paths: string[]; labels: string[] }>;
  seconds: number;
}

export interface PredictionItem {
  path: string;
  top: Array<{ label: string; probability: number }>;
  /** Set instead of `top` when the image could not be read. */
  error?: string;
  /**
   * How like the nearest photo the model was trained on (about 1 for a look-alike), when the
   * model can tell (a run with the neighbour vote; not an exported model).
   */
  similarity?: number;
  /** The photo is unlike anything the model was trained on: its top class is a guess. With `similarity`. */
  unfamiliar?: boolean;
  /** A small JPEG of the image as a data: URL, when predict.start was asked for thumbnails. */
  thumbnail?: string;
}

export interface PredictResult {
  runId: string;
  predictions: PredictionItem[];
}

export const trainingMethods = {
  'train.start': method(trainOptions, returns<{ jobId: string }>()),
  'runs.list': method(z.object({}), returns<RunSummary[]>()),
  'runs.get': method(z.object({ id: runId }), returns<RunDetail>()),
  'runs.delete': method(z.object({ id: runId }), returns<{ deleted: boolean }>()),
  'runs.setCurrent': method(z.object({ id: runId }), returns<RunSummary>()),
  /**
   * Likely label mistakes from out-of-fold predictions on cached codes: a job (k-fold heads:
   * seconds on a small project, minutes on 10,000 images); the MistakesResult comes with
   * `job.finished`.
   */
  'mistakes.start': method(
    z.object({ limit: count(mistakes.limit).default(mistakes.limit.value), backbones: backbones.optional() }),
    returns<{ jobId: string }>(),
  ),
  /**
   * Files or folders (searched recursively for images) → top-k: a job with progress and
   * cancel; the PredictResult comes with `job.finished`. With `modelDir`, an exported model
   * folder predicts instead of the project's (no project needed). With `strict`, the first
   * unreadable file fails the job with its reason (the CLI's contract); otherwise each
   * unreadable file is reported in its item.
   */
  'predict.start': method(
    z.object({
      paths: z.array(z.string().min(1).max(4096)).min(1).max(10_000),
      top: topK,
      runId: runId.optional(),
      modelDir: z.string().min(1).max(4096).optional(),
      strict: z.boolean().default(false),
      /** The first this many readable images also come with a small thumbnail (the studio's folder predictions). */
      thumbnails: z.number().int().min(0).max(1000).default(0),
    }).refine((p) => !(p.modelDir && p.runId), 'Give either a run of the project or an exported model folder, not both'),
    returns<{ jobId: string }>(),
  ),
  /** One image from the drop pane: a path, or its bytes as base64 (at most ~50 MB). */
  'predict.image': method(
    z
      .object({ path: z.string().min(1).max(4096).optional(), base64: z.string().min(1).max(70_000_000).optional(), name: z.string().max(500).optional(), top: topK })
      .refine((p) => Boolean(p.path) !== Boolean(p.base64), 'Give either a path or the image bytes (base64), not both'),
    returns<PredictionItem>(),
  ),
};
