/**
 * How one member of the head learns, step by step. trainHead (head.ts) deals the batches,
 * watches validation and stops early; a trainer owns a member's weights and their optimiser.
 *
 * Two trainers, the same arithmetic:
 * - `softmaxTrainer`, for the default head (no hidden layer): the gradient of a softmax
 *   layer's cross-entropy is known in closed form, so each step is two small products on
 *   TF.js (the logits, and the kernel's gradient) and the rest (softmax, loss, Adam) in a
 *   few loops over 10,000 weights. Through TF.js's autodiff a step ran about 130 kernels,
 *   nearly all of the time per-kernel overhead: 75 ms an epoch on the flowers under
 *   tfjs-node in the engine's worker, 15-20 ms this way.
 * - `autodiffTrainer`, for a head with a hidden layer (ReLU, dropout): TF.js's autodiff
 *   and Adam, as before.
 * Both compute tf.losses.softmaxCrossEntropy (label smoothing, example weights averaged
 * over rows whose weight is not 0), plus the L2 penalty on the kernels, and step with
 * tf.train.adam's update; a test trains both on the same data and compares the weights.
 */
import type * as TF from '@tensorflow/tfjs';
import type { DenseParams, HeadConfig, Tf } from './head';
import { argMax } from './metrics';

/** One batch of standardised rows, row-major. */
export interface Batch {
  x: Float32Array;
  rows: number;
  y: Int32Array;
  /** Each row's weight in the loss (class balance). */
  weights: Float32Array;
  /** Seeds the dropout masks of this step. */
  dropoutSeed: number;
}

export interface Layer {
  kernel: TF.Tensor2D;
  bias: TF.Tensor1D;
  activation: DenseParams['activation'];
}

export interface MemberTrainer {
  /** One optimiser step: the batch's loss (penalty included) times its rows, and rows predicted right. */
  step(batch: Batch): { loss: number; hits: number };
  /** The current weights as tensors, for scoring; `release` frees what was made for the call. */
  layers(): { layers: Layer[]; release(): void };
  /** Remembers the current weights as the best so far. */
  keepBest(): void;
  /** The weights last kept (the initial ones if none were). */
  best(): DenseParams[];
  dispose(): void;
}

/** Adam's constants as tf.train.adam(learningRate) sets them on a float32 backend. */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

/** Glorot-uniform kernels and zero biases, drawn from `random` so a run is reproducible. */
export function initialLayers(dim: number, hidden: number, k: number, random: () => number): DenseParams[] {
  const shapes = hidden > 0 ? [[dim, hidden], [hidden, k]] : [[dim, k]];
  return shapes.map(([inDim, outDim], n) => {
    const limit = Math.sqrt(6 / (inDim + outDim));
    const kernel = new Float32Array(inDim * outDim);
    for (let j = 0; j < kernel.length; j++) kernel[j] = (random() * 2 - 1) * limit;
    return { inDim, outDim, kernel, bias: new Float32Array(outDim), activation: n === shapes.length - 1 ? 'softmax' : 'relu' };
  });
}

/** A plain softmax layer trained with its closed-form gradient (see the file comment). */
export function softmaxTrainer(tf: Tf, initial: DenseParams, config: HeadConfig): MemberTrainer {
  const { inDim: dim, outDim: k } = initial;
  const w = Float32Array.from(initial.kernel);
  const b = Float32Array.from(initial.bias);
  const adamW = adamState(w.length);
  const adamB = adamState(b.length);
  let kept: DenseParams = { ...initial, kernel: w.slice(), bias: b.slice() };
  let steps = 0;
  const smoothing = config.labelSmoothing;
  const l2 = config.l2 > 0 ? config.l2 : 0;
  // hᵀ·g: native TensorFlow takes the transpose inside the product (177 µs against 460 for
  // a separate transpose on the flowers' batches); wasm is 9× slower that way (1.9 ms against 0.22).
  const transposeInMatMul = tf.getBackend() === 'tensorflow';

  return {
    step(batch) {
      const n = batch.rows;
      const h = tf.tidy(() => {
        const x = tf.tensor2d(batch.x, [n, dim]);
        return config.inputDropout > 0 ? (tf.dropout(x, config.inputDropout, undefined, batch.dropoutSeed) as TF.Tensor2D) : x;
      });
      try {
        const logits = read(tf.tidy(() => tf.add(tf.matMul(h, tf.tensor2d(w, [dim, k])), tf.tensor1d(b))));
        let nonZero = 0;
        for (let i = 0; i < n; i++) if (batch.weights[i] !== 0) nonZero++;
        // d(loss)/d(logits) per row: weight · (softmax − smoothed target) / rows weighted.
        const g = new Float32Array(n * k);
        let data = 0;
        let hits = 0;
        for (let i = 0; i < n; i++) {
          const o = i * k;
          let max = -Infinity;
          for (let c = 0; c < k; c++) max = Math.max(max, logits[o + c]);
          let sum = 0;
          for (let c = 0; c < k; c++) sum += Math.exp(logits[o + c] - max);
          const logZ = max + Math.log(sum);
          const weight = nonZero > 0 ? batch.weights[i] / nonZero : 0;
          let crossEntropy = 0;
          for (let c = 0; c < k; c++) {
            const target = (c === batch.y[i] ? 1 - smoothing : 0) + smoothing / k;
            crossEntropy += target * (logZ - logits[o + c]);
            g[o + c] = weight * (Math.exp(logits[o + c] - logZ) - target);
          }
          data += weight * crossEntropy;
          if (argMax(logits, o, k) === batch.y[i]) hits++;
        }
        let penalty = 0;
        if (l2) for (let j = 0; j < w.length; j++) penalty += w[j] * w[j];
        const gw = read(tf.tidy(() => (transposeInMatMul ? tf.matMul(h, tf.tensor2d(g, [n, k]), true, false) : tf.matMul(tf.transpose(h), tf.tensor2d(g, [n, k])))));
        if (l2) for (let j = 0; j < w.length; j++) gw[j] += 2 * l2 * w[j];
        const gb = new Float32Array(k);
        for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) gb[c] += g[i * k + c];
        steps++;
        adamStep(w, gw, adamW, steps, config.learningRate);
        adamStep(b, gb, adamB, steps, config.learningRate);
        return { loss: (data + l2 * penalty) * n, hits };
      } finally {
        h.dispose();
      }
    },
    layers() {
      const layer: Layer = { kernel: tf.tensor2d(w, [dim, k]), bias: tf.tensor1d(b), activation: 'softmax' };
      return { layers: [layer], release: () => tf.dispose([layer.kernel, layer.bias]) };
    },
    keepBest() {
      kept = { ...initial, kernel: w.slice(), bias: b.slice() };
    },
    best: () => [kept],
    dispose() {},
  };
}

interface AdamState {
  m: Float32Array;
  v: Float32Array;
}

function adamState(size: number): AdamState {
  return { m: new Float32Array(size), v: new Float32Array(size) };
}

/** tf.train.adam's update of `value` by `gradient`, at step `t` (1-based), in place. */
function adamStep(value: Float32Array, gradient: Float32Array, s: AdamState, t: number, learningRate: number): void {
  const c1 = 1 - BETA1 ** t;
  const c2 = 1 - BETA2 ** t;
  for (let j = 0; j < value.length; j++) {
    const g = gradient[j];
    const m = (s.m[j] = s.m[j] * BETA1 + g * (1 - BETA1));
    const v = (s.v[j] = s.v[j] * BETA2 + g * g * (1 - BETA2));
    value[j] += -learningRate * ((m / c1) / (Math.sqrt(v / c2) + EPSILON));
  }
}

/** The tensor's values; the tensor is disposed. */
function read(t: TF.Tensor): Float32Array {
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

export type DenseOp = (x: TF.Tensor2D, w: TF.Tensor2D) => TF.Tensor2D;

/** x·w whose gradient uses explicit transposes (fast on wasm, see head.ts). */
export function denseOp(tf: Tf, inputGradient: boolean): DenseOp {
  // customGrad's typing only admits single-input functions; ours takes (x, w).
  const f = (x: TF.Tensor, w: TF.Tensor, save: TF.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.matMul(x as TF.Tensor2D, w as TF.Tensor2D),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [sx, sw] = saved as TF.Tensor2D[];
        // The first layer's input is data, not a variable: skip its (costly, unused) gradient.
        const dx = inputGradient ? tf.matMul(dy as TF.Tensor2D, tf.transpose(sw)) : tf.zerosLike(sx);
        return [dx, tf.matMul(tf.transpose(sx), dy as TF.Tensor2D)];
      },
    };
  };
  return tf.customGrad(f as unknown as Parameters<Tf['customGrad']>[0]) as unknown as DenseOp;
}

/** Any head, through TF.js's autodiff and optimiser: layers of TF variables. */
export function autodiffTrainer(tf: Tf, initial: DenseParams[], config: HeadConfig): MemberTrainer {
  const dense = { first: denseOp(tf, false), inner: denseOp(tf, true) };
  const layers: Layer[] = initial.map((l) => ({
    // Inside tidy: tf.variable keeps its initial tensor alive otherwise.
    kernel: tf.tidy(() => tf.variable(tf.tensor2d(l.kernel, [l.inDim, l.outDim]), true)) as TF.Variable<TF.Rank.R2>,
    bias: tf.tidy(() => tf.variable(tf.tensor1d(l.bias), true)) as TF.Variable<TF.Rank.R1>,
    activation: l.activation,
  }));
  const variables = layers.flatMap((l) => [l.kernel as unknown as TF.Variable, l.bias as unknown as TF.Variable]);
  const optimizer = tf.train.adam(config.learningRate);
  let kept = layers.map((l) => ({ kernel: tf.clone(l.kernel), bias: tf.clone(l.bias), activation: l.activation }));
  const k = initial[initial.length - 1].outDim;
  const dim = initial[0].inDim;

  return {
    step(batch) {
      const out = tf.tidy(() => {
        const xb = tf.tensor2d(batch.x, [batch.rows, dim]);
        const labels = tf.oneHot(tf.tensor1d(batch.y, 'int32'), k);
        const weights = tf.tensor1d(batch.weights);
        let probsOut: TF.Tensor | null = null;
        const cost = optimizer.minimize(
          () => {
            const logits = forward(tf, dense, layers, xb, config, batch.dropoutSeed);
            probsOut = tf.keep(tf.softmax(logits));
            const data = tf.losses.softmaxCrossEntropy(labels, logits, weights, config.labelSmoothing, tf.Reduction.SUM_BY_NONZERO_WEIGHTS);
            return tf.add(data, l2Penalty(tf, layers, config.l2)) as TF.Scalar;
          },
          true,
          variables,
        )!;
        const hits = tf.sum(tf.cast(tf.equal(tf.argMax(probsOut!, 1), tf.argMax(labels, 1)), 'float32'));
        const stacked = tf.stack([tf.mul(cost, batch.rows), hits]);
        (probsOut as unknown as TF.Tensor).dispose();
        return stacked;
      });
      const [loss, hits] = read(out);
      return { loss, hits };
    },
    layers: () => ({ layers, release() {} }),
    keepBest() {
      disposeLayers(kept);
      kept = layers.map((l) => ({ kernel: tf.clone(l.kernel), bias: tf.clone(l.bias), activation: l.activation }));
    },
    best: () =>
      kept.map((l) => {
        const [inDim, outDim] = l.kernel.shape;
        return { inDim, outDim, kernel: l.kernel.dataSync() as Float32Array, bias: l.bias.dataSync() as Float32Array, activation: l.activation };
      }),
    dispose() {
      disposeLayers(kept);
      variables.forEach((v) => v.dispose());
      optimizer.dispose();
    },
  };
}

function disposeLayers(layers: Layer[]): void {
  for (const l of layers) {
    l.kernel.dispose();
    l.bias.dispose();
  }
}

/** Logits of one member in training, with dropout. */
function forward(tf: Tf, dense: { first: DenseOp; inner: DenseOp }, layers: Layer[], x: TF.Tensor2D, config: HeadConfig, dropoutSeed: number): TF.Tensor2D {
  let h: TF.Tensor2D = x;
  if (config.inputDropout > 0) h = tf.dropout(h, config.inputDropout, undefined, dropoutSeed) as TF.Tensor2D;
  layers.forEach((layer, n) => {
    h = tf.add((n === 0 ? dense.first : dense.inner)(h, layer.kernel), layer.bias) as TF.Tensor2D;
    if (layer.activation === 'relu') {
      h = tf.relu(h);
      if (config.dropout > 0) h = tf.dropout(h, config.dropout, undefined, dropoutSeed + n + 1) as TF.Tensor2D;
    }
  });
  return h;
}

function l2Penalty(tf: Tf, layers: Layer[], l2: number): TF.Scalar {
  if (!(l2 > 0)) return tf.scalar(0);
  return tf.mul(l2, tf.addN(layers.map((l) => tf.sum(tf.square(l.kernel))))) as TF.Scalar;
}
