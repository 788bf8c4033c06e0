/**
 * Every default a person can see or change, stated once: the engine fills unset options
 * from here, the CLI's help text is generated from here and the studio's settings start
 * from here. Each value's reason is the line above it; the measurements behind them are
 * in docs/experiments.md ("round N" there).
 *
 * Zod-free and type-only imports, so the renderer can bundle it without the API schemas.
 */
import type { ExportFormatName, ExportSplit } from './api/export';
import type { FineTuneSettings, HeadSettings } from './api/training';

/** A default, what it does in words for people, and the range the API accepts (numbers). */
export interface Setting<T> {
  readonly value: T;
  /** Lower case, no final full stop: it follows a flag in `graft --help`. */
  readonly description: string;
  readonly min?: number;
  readonly max?: number;
}

type Settings = Readonly<Record<string, Setting<unknown>>>;
export type ValuesOf<S extends Settings> = { -readonly [K in keyof S]: S[K]['value'] };

/** The plain values of a group of settings (e.g. the `HeadSettings` a run stores). */
export function valuesOf<S extends Settings>(settings: S): ValuesOf<S> {
  return Object.fromEntries(Object.entries(settings).map(([key, s]) => [key, s.value])) as ValuesOf<S>;
}

type HeadDefaults = { readonly [K in Exclude<keyof HeadSettings, 'voteShares'>]-?: Setting<NonNullable<HeadSettings[K]>> };
type FineTuneDefaults = { readonly [K in keyof FineTuneSettings]: Setting<FineTuneSettings[K]> };

export const DEFAULTS = deepFreeze({
  training: {
    // Together about two points above either network alone (round 1); at 320 px another two over 224 (round 3).
    backbones: {
      value: ['mobilenet_v1_0.75_224_at320', 'mobilenet_v2_0.35_224_notop_at320'] as readonly string[],
      description: 'backbone(s) whose codes are concatenated',
      min: 1,
      max: 4,
    },
    // Any fixed seed makes a run reproducible; the figures quoted for "the project's own split" are seed 42's.
    seed: { value: 42, description: 'seed for splits, initial weights and shuffles', min: 0, max: 2 ** 31 - 1 },
    // The mirrored view bought under a point for twice the extraction and prediction time (round 1).
    flip: { value: false, description: 'train on mirrored images too, and average both views when predicting' },
    // +0.4 points in cross-validation, ahead in all 15 pairings; it costs model size, not time (round 7).
    vote: {
      value: true,
      description: 'average a vote of the most similar training and validation images in with the head (the model carries their codes)',
    },
    // v1's neighbours are wrong on other photos than the head, v2's on the same ones: v1 gets 0.75 of the vote (round 8).
    voteNetworkWeights: {
      value: { 'mobilenet_v1_0.75_224_at320': 3 } as Readonly<Record<string, number>>,
      description: "weight of a network's similarities in the vote, relative to the run's other networks (1 when not listed)",
    },
    // The split every measurement was made with; validation only picks the epoch, so 10% is enough.
    fractions: {
      value: { train: 0.8, validation: 0.1, test: 0.1 } as Readonly<{ train: number; validation: number; test: number }>,
      description: 'shares of newly dealt images for training, validation and test',
    },
    // Splits are sticky so that runs stay comparable.
    reshuffle: { value: false, description: 'deal every image into a split again' },
    // It never raised test accuracy on the flowers and takes minutes, not seconds (rounds 5 and 6).
    fineTune: { value: false, description: 'also fine-tune the top block of the first backbone after the head (slow)' },
  },

  head: {
    // A hidden layer overfits 1,444 rows within a few epochs and never beat the plain softmax (rounds 1, 2, 7).
    hidden: { value: 0, description: 'hidden units of the head (0 = a plain softmax)', min: 0, max: 4096 },
    // Only matters with a hidden layer; the hidden-layer rows of rounds 1 and 7 were measured with it.
    dropout: { value: 0.5, description: 'dropout rate on the hidden layer' },
    // 0.2 scored 91.01 against 91.33 without (round 7).
    inputDropout: { value: 0, description: 'dropout rate on the input codes' },
    // On 320-px codes 1e-2 bought half a point over 1e-4, ahead in all 29 pairings (round 6).
    l2: { value: 1e-2, description: 'L2 penalty on the weights' },
    // 0.1 scored 90.05 against 91.33 without (round 7).
    labelSmoothing: { value: 0, description: 'label smoothing' },
    // 2e-3 and 3e-3 were no better (round 6).
    learningRate: { value: 1e-3, description: "the head's Adam learning rate", max: 1 },
    // Not tuned: about 23 steps an epoch on the flowers' 1,444 training rows.
    batchSize: { value: 64, description: 'training rows per step' },
    // Early stopping ends most runs sooner; allowing 150 scored the same (round 7).
    maxEpochs: { value: 60, description: 'most head epochs (early stopping usually ends sooner)', min: 1, max: 1000 },
    // Not tuned; stopping sooner (a 1% relative threshold) was not better (round 6).
    patience: { value: 8, description: 'epochs without a better validation loss before training stops' },
    // With the L2 penalty above, three averaged heads no longer beat one, at three times the training time (round 6).
    members: { value: 1, description: 'heads averaged in the ensemble', min: 1, max: 16 },
    // Costs nothing on the balanced flowers (90.60 without, 90.62 with; round 6) and keeps rare classes heard elsewhere.
    classWeights: { value: true, description: 'weight each class so rare classes count as much as common ones' },
    // 0.02 and 0.04 scored lower at every penalty tried (round 7).
    vote: { value: 0.03, description: 'temperature of the neighbour vote' },
  } satisfies HeadDefaults,

  fineTune: {
    // The top block only: the rest keeps its ImageNet filters, and the step stays minutes long.
    layers: { value: 1, description: 'top backbone layers with weights that are unfrozen' },
    // Low, so the pretrained filters move a little.
    learningRate: { value: 1e-4, description: "fine-tuning's Adam learning rate", max: 0.1 },
    // 5½–7 minutes on two cores already (round 5).
    epochs: { value: 4, description: 'fine-tuning epochs', min: 1, max: 100 },
    // Images go through the network itself here, so smaller steps than the head's.
    batchSize: { value: 32, description: 'images per fine-tuning step' },
  } satisfies FineTuneDefaults,

  mistakes: {
    // A page of suspects to review; the rest are less likely mistakes.
    limit: { value: 50, description: 'most likely mistakes listed', min: 1, max: 10_000 },
    // Each head trains on 80% of the images, as a run does.
    folds: { value: 5, description: 'folds of the cross-validation that scores every labelled image' },
  },

  predict: {
    // Enough to see the runner-up classes on a terminal line.
    top: { value: 3, description: 'how many classes to list per image', min: 1, max: 1000 },
    // The Predict view's bars and CSV have room for more.
    topInStudio: { value: 5, description: 'classes kept per image in the Predict view (and by the API when not asked)', min: 1, max: 1000 },
  },

  insights: {
    // Below this the model is unsure enough that the image is worth a look.
    lowConfidence: { value: 0.6, description: 'images predicted with less confidence than this are "low confidence"', min: 0, max: 1 },
    // Pre-labelling writes labels, so only near-certain predictions by default.
    prelabelConfidence: { value: 0.9, description: 'unlabelled images predicted with at least this confidence get that label', min: 0, max: 1 },
  },

  export: {
    // What most people export for: the model, and the page that says how good it is.
    formats: { value: ['tfjs', 'report'] as readonly ExportFormatName[], description: 'what "graft export" writes when no format is named' },
    split: { value: 'all' as ExportSplit, description: 'dataset and codes exports: only images of this split' },
  },

  codes: {
    // The first verified network at its native size: the quickest codes that train well.
    backbone: { value: 'mobilenet_v1_0.75_224', description: 'the network whose codes are computed' },
  },
});

/** Frozen all the way down: a caller that changed a default would change it for everyone. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
