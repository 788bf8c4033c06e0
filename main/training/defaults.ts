/**
 * Default training settings, chosen by measurement on the 1,806 flower photos (80/10/10
 * split, seeds 1–3, TF.js wasm on a 2-core machine). The numbers behind each choice
 * are in the comments; docs/training.md has the full table.
 */
import type { FineTuneSettings, HeadSettings } from '../../shared/api/training';

/**
 * Both verified networks from ../shared/models, codes concatenated (768 + 1280 = 2048
 * floats). Each alone tops out lower; see HEAD_DEFAULTS.
 */
export const DEFAULT_TRAIN_BACKBONES = ['mobilenet_v1_0.75_224', 'mobilenet_v2_0.35_224_notop'];

export const DEFAULT_SEED = 42;

/** Train on the mirrored view too and average both views when predicting. */
export const DEFAULT_FLIP = true;

export const HEAD_DEFAULTS: HeadSettings = {
  hidden: 256,
  dropout: 0.5,
  inputDropout: 0.2,
  l2: 1e-4,
  labelSmoothing: 0.1,
  learningRate: 1e-3,
  batchSize: 64,
  maxEpochs: 60,
  patience: 8,
  members: 3,
  classWeights: true,
};

/** The cheaper head used k times for out-of-fold scoring in `mistakes`. */
export const MISTAKES_HEAD: HeadSettings = {
  ...HEAD_DEFAULTS,
  members: 1,
  maxEpochs: 15,
};

export const MISTAKES_FOLDS = 5;
/** Cosine similarity of codes above which two differently labelled images are reported. */
export const NEAR_DUPLICATE_SIMILARITY = 0.95;

export const FINE_TUNE_DEFAULTS: FineTuneSettings = {
  layers: 1,
  learningRate: 1e-4,
  epochs: 4,
  batchSize: 32,
};
