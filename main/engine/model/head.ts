/**
 * The dense head that sits on frozen backbone codes: input standardisation, an
 * optional hidden ReLU layer with dropout, a softmax output, and optionally several
 * members trained in lockstep from different seeds whose probabilities are averaged.
 *
 * Written on TF.js core ops with an explicit training loop (rather than
 * `tf.LayersModel.fit`) for reasons measured or needed here:
 * - the wasm backend multiplies transposed matrices ~15× slower than plain ones, and
 *   autodiff's matMul gradient uses transposed products; our `dense` op transposes
 *   explicitly in its gradient, which makes an epoch several times faster;
 * - the default head (no hidden layer) steps with its closed-form gradient instead of
 *   autodiff, a quarter of the time per epoch or less (head-trainers.ts);
 * - early stopping must restore the best weights, with class weights and label
 *   smoothing, reproducibly from one seed;
 * - the loop checks the cancel signal between batches (it runs in a worker thread, where
 *   the signal is a flag shared with the main thread), so a cancel takes effect within one;
 * - batches are row copies in JS out of the standardised training rows, not `tf.gather`:
 *   the wasm gather kernel moves one element at a time and took over half of every step
 *   (three members on the flowers' 2,048-d codes trained in 21 s, now 7 s, with
 *   bit-identical weights).
 */
import type * as TF from '@tensorflow/tfjs';
import type { HeadSettings } from '../../../shared/api/training';
import { GraftError, type CancelSignal } from '../errors';
import { autodiffTrainer, initialLayers, softmaxTrainer, type Layer, type MemberTrainer } from './head-trainers';
import { argMax } from './metrics';
import { deriveSeed, seededRandom, shuffleInPlace } from './rng';

export type Tf = typeof TF;

/** The head's settings (documented on the shared type every run stores). */
export type HeadConfig = HeadSettings;

/** Rows of features with their class indices. */
export interface Examples {
  x: Float32Array;
  /** Class index per row. */
  y: Int32Array;
  rows: number;
  dim: number;
}

/** Trained head parameters: plain arrays, serialisable (see weights.ts). */
export interface HeadParams {
  inputDim: number;
  classCount: number;
  /** Per-feature mean and standard deviation of the training rows, applied before layer 1. */
  mean: Float32Array;
  std: Float32Array;
  members: MemberParams[];
}

export interface MemberParams {
  layers: DenseParams[];
}

export interface DenseParams {
  inDim: number;
  outDim: number;
  /** Row-major inDim × outDim. */
  kernel: Float32Array;
  bias: Float32Array;
  /**
   * Applied after this layer. A trained member ends in 'softmax'; the neighbour vote
   * (vote.ts) has a softmax inside and ends 'linear'.
   */
  activation: 'relu' | 'softmax' | 'linear';
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export interface TrainHeadOptions {
  config: HeadConfig;
  seed: number;
  classCount: number;
  train: Examples;
  /** Early stopping watches this; without it the head trains for maxEpochs. */
  validation: Examples | null;
  signal?: CancelSignal;
  /** Train a head without a hidden layer through autodiff too (tests compare the two). */
  autodiff?: boolean;
  onEpoch?: (m: EpochMetrics) => void;
}

export interface TrainHeadResult {
  params: HeadParams;
  history: EpochMetrics[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
}

export async function trainHead(tf: Tf, options: TrainHeadOptions): Promise<TrainHeadResult> {
  const { config, seed, classCount: k, train, validation, signal } = options;
  if (train.rows === 0) throw new GraftError('invalid_params', 'There are no training images. Label some images first.');
  const dim = train.dim;
  const { mean, std } = featureStats(train);
  const random = seededRandom(deriveSeed(seed, 'head'));

  // Standardised by the same tensor ops as at prediction, then read back once so batches
  // are plain row copies (see the file comment).
  const trainX = tf.tidy(() => standardise(tf, tf.tensor2d(train.x, [train.rows, dim]), mean, std));
  const trainRows = trainX.dataSync() as Float32Array;
  trainX.dispose();
  const valX = validation && validation.rows
    ? tf.tidy(() => standardise(tf, tf.tensor2d(validation.x, [validation.rows, dim]), mean, std))
    : null;
  const exampleWeights = classBalancedWeights(train.y, k, config.classWeights);

  const closedForm = config.hidden === 0 && !options.autodiff;
  const members: MemberTrainer[] = [];
  let bestLoss = Infinity;
  let bestEpoch = 0;
  const history: EpochMetrics[] = [];
  try {
    for (let m = 0; m < config.members; m++) {
      const initial = initialLayers(dim, config.hidden, k, seededRandom(deriveSeed(seed, `member:${m}`)));
      members.push(closedForm ? softmaxTrainer(tf, initial[0], config) : autodiffTrainer(tf, initial, config));
    }
    const order = Array.from({ length: train.rows }, (_, i) => i);
    let sinceBest = 0;
    for (let epoch = 1; epoch <= config.maxEpochs; epoch++) {
      let lossSum = 0;
      let correct = 0;
      for (const member of members) {
        shuffleInPlace(order, random);
        for (let start = 0; start < train.rows; start += config.batchSize) {
          if (signal?.aborted) throw new GraftError('cancelled', 'Training was cancelled.');
          const idx = order.slice(start, start + config.batchSize);
          const dropoutSeed = Math.floor(random() * 2 ** 31);
          const x = new Float32Array(idx.length * dim);
          idx.forEach((row, i) => x.set(trainRows.subarray(row * dim, (row + 1) * dim), i * dim));
          const y = Int32Array.from(idx, (i) => train.y[i]);
          const weights = Float32Array.from(idx, (i) => exampleWeights[i]);
          const { loss, hits } = member.step({ x, rows: idx.length, y, weights, dropoutSeed });
          lossSum += loss;
          correct += hits;
        }
      }
      const seen = train.rows * members.length;
      let valLoss = lossSum / seen;
      let valAccuracy = correct / seen;
      if (valX && validation) {
        const current = members.map((member) => member.layers());
        try {
          const probs = predictStandardised(tf, current, valX, validation.rows, k);
          ({ loss: valLoss, accuracy: valAccuracy } = lossAndAccuracy(probs, validation.y, k));
        } finally {
          for (const c of current) c.release();
        }
      }
      const metrics: EpochMetrics = { epoch, loss: round5(lossSum / seen), accuracy: round5(correct / seen), valLoss: round5(valLoss), valAccuracy: round5(valAccuracy) };
      history.push(metrics);
      options.onEpoch?.(metrics);
      if (valLoss < bestLoss - 1e-5) {
        for (const member of members) member.keepBest();
        bestLoss = valLoss;
        bestEpoch = epoch;
        sinceBest = 0;
      } else if (++sinceBest >= config.patience) {
        break;
      }
    }
    const params: HeadParams = { inputDim: dim, classCount: k, mean, std, members: members.map((member) => ({ layers: member.best() })) };
    return { params, history, bestEpoch };
  } finally {
    for (const member of members) member.dispose();
    valX?.dispose();
  }
}

/** Class probabilities (n × k, row-major) for raw feature rows. Leaves no tensors behind. */
export function predictHead(tf: Tf, params: HeadParams, x: Float32Array, rows: number): Float32Array {
  const predictor = headPredictor(tf, params);
  try {
    return predictor.predict(x, rows);
  } finally {
    predictor.dispose();
  }
}

export interface HeadPredictor {
  predict(x: Float32Array, rows: number): Float32Array;
  dispose(): void;
}

/**
 * The head's weights as tensors once, for scoring many slices of rows: the neighbour vote's
 * kernel holds every voter's codes (13 MB for the flowers), too big to upload per slice.
 */
export function headPredictor(tf: Tf, params: HeadParams): HeadPredictor {
  const members = params.members.map((m) => ({
    layers: m.layers.map((l) => ({ kernel: tf.tensor2d(l.kernel, [l.inDim, l.outDim]), bias: tf.tensor1d(l.bias), activation: l.activation })),
  }));
  return {
    predict(x, rows) {
      if (rows === 0) return new Float32Array(0);
      if (x.length !== rows * params.inputDim) {
        throw new GraftError('bad_model', `The model expects ${params.inputDim} features per image but got ${x.length / rows}.`);
      }
      const xs = tf.tidy(() => standardise(tf, tf.tensor2d(x, [rows, params.inputDim]), params.mean, params.std));
      try {
        return predictStandardised(tf, members, xs, rows, params.classCount);
      } finally {
        xs.dispose();
      }
    },
    dispose() {
      for (const m of members) for (const l of m.layers) tf.dispose([l.kernel, l.bias]);
    },
  };
}

// ---------------------------------------------------------------------------

/** A member's layers as tensors, for scoring. */
interface Member {
  layers: Layer[];
}

function predictStandardised(tf: Tf, members: Member[], x: TF.Tensor2D, rows: number, k: number): Float32Array {
  const out = new Float32Array(rows * k);
  const chunk = 2048;
  for (let start = 0; start < rows; start += chunk) {
    const size = Math.min(chunk, rows - start);
    const probs = tf.tidy(() => {
      const xb = tf.slice(x, [start, 0], [size, -1]);
      const each = members.map((m) => forwardInference(tf, m, xb));
      return tf.div(tf.addN(each), members.length);
    });
    out.set(probs.dataSync() as Float32Array, start * k);
    probs.dispose();
  }
  return out;
}

/** Class probabilities of one member: every layer with its activation, the last included. */
function forwardInference(tf: Tf, member: Member, x: TF.Tensor2D): TF.Tensor2D {
  let h: TF.Tensor2D = x;
  for (const layer of member.layers) {
    h = tf.add(tf.matMul(h, layer.kernel), layer.bias) as TF.Tensor2D;
    if (layer.activation === 'relu') h = tf.relu(h);
    else if (layer.activation === 'softmax') h = tf.softmax(h);
  }
  return h;
}

function standardise(tf: Tf, x: TF.Tensor2D, mean: Float32Array, std: Float32Array): TF.Tensor2D {
  return tf.div(tf.sub(x, tf.tensor1d(mean)), tf.tensor1d(std)) as TF.Tensor2D;
}

/** Per-feature mean and std over the training rows (std floored so dead features stay 0). */
export function featureStats(data: Examples): { mean: Float32Array; std: Float32Array } {
  const { x, rows, dim } = data;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let j = 0; j < dim; j++) {
      const v = x[o + j];
      mean[j] += v;
      sq[j] += v * v;
    }
  }
  const m = new Float32Array(dim);
  const s = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    m[j] = mean[j] / rows;
    s[j] = Math.max(Math.sqrt(Math.max(sq[j] / rows - m[j] * m[j], 0)), 1e-3);
  }
  return { mean: m, std: s };
}

function classBalancedWeights(y: Int32Array, k: number, enabled: boolean): Float32Array {
  const w = new Float32Array(y.length).fill(1);
  if (!enabled) return w;
  const counts = new Array<number>(k).fill(0);
  for (const c of y) counts[c]++;
  for (let i = 0; i < y.length; i++) w[i] = y.length / (k * counts[y[i]]);
  return w;
}

export function lossAndAccuracy(probs: Float32Array, y: Int32Array, k: number): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    loss -= Math.log(Math.max(probs[i * k + y[i]], 1e-7));
    if (argMax(probs, i * k, k) === y[i]) correct++;
  }
  return { loss: y.length ? loss / y.length : 0, accuracy: y.length ? correct / y.length : 0 };
}

function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
