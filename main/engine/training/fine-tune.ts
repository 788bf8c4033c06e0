/**
 * Optional fine-tuning: after the head is trained on frozen codes, unfreeze the
 * backbone's top block — its last 1×1 convolution with the batch-norm after it (folded
 * into the convolution) and its ReLU6 — and train it end-to-end with the head at a low
 * learning rate.
 *
 * Why only the top 1×1 block: in both verified MobileNets it is the last layer before
 * pooling and holds most of the top block's weights (v1 0.75: 590k of 597k); and the
 * wasm backend has no gradient kernels for (depthwise) convolution filters, whereas a
 * 1×1 convolution is a matrix product whose gradient we compute with plain matMuls.
 *
 * How: the frozen part of the backbone runs once per image and view (the slow part, with
 * progress and ETA); its activations at the block's input are kept in memory and every
 * epoch trains the block + head on them. The fine-tuned weights are kept only when
 * validation accuracy improves on the head alone (and, when the run has the neighbour
 * vote, train.ts checks head and vote together again); otherwise the previous model stays.
 */
import type * as TF from '@tensorflow/tfjs';
import type { FineTuneSettings, HeadSettings } from '../../../shared/api/training';
import type { Split } from '../../../shared/types';
import { GraftError, type CancelSignal } from '../errors';
import { loadBackbone, type Backbone } from '../tf/backbone';
import { compileFastForward } from '../tf/fold';
import { decodeForNetwork, toNetworkRange } from '../tf/preprocess';
import type { FeatureTable, View } from '../model/features';
import { type EpochMetrics, type HeadParams, type Tf } from '../model/head';
import { denseOp } from '../model/head-trainers';
import { argMax } from '../model/metrics';
import { deriveSeed, seededRandom, shuffleInPlace } from '../model/rng';
import type { LabelledImage } from '../model/splits';
import type { StoredModel } from '../model/stored-model';

export interface FineTuneInput {
  tf: Tf;
  modelsDir?: string;
  model: StoredModel;
  table: FeatureTable;
  settings: FineTuneSettings;
  head: HeadSettings;
  seed: number;
  /** Images in table row order. */
  images: LabelledImage[];
  labels: Int32Array;
  rows: Record<Split, number[]>;
  signal: CancelSignal;
  progress(done: number, total: number, message: string): void;
  onEpoch?(m: EpochMetrics): void;
}

export interface FineTuneOutcome {
  model: StoredModel;
  report: { backbone: string; layer: string; validationBefore: number; validationAfter: number; kept: boolean; epochs: number; seconds: number };
  /** Codes recomputed with the fine-tuned block, when it was kept. */
  table?: FeatureTable;
}

/** The trainable top block of a layers backbone: conv (1×1) → batch-norm → ReLU(6). */
export interface TopBlock {
  conv: TF.layers.Layer;
  batchNorm: TF.layers.Layer;
  /** 6 for ReLU6, Infinity for ReLU. */
  reluMax: number;
}

export async function fineTune(input: FineTuneInput): Promise<FineTuneOutcome> {
  const started = Date.now();
  const { tf, model, table, settings, labels, rows, signal } = input;
  const { backbone: bb, slot, block } = await pickBackbone(input);
  try {
    const views = model.views;
    const spatial = await frozenActivations(input, bb, block, views);
    const [hw, cin] = [spatial.hw, spatial.cin];
    const cout = model.backbones[slot].dim;
    const offset = model.backbones.slice(0, slot).reduce((a, b) => a + b.dim, 0);

    // Fold the batch-norm into the 1×1 kernel: BN(x·W) = x·(W·s) + (β − μ·s), s = γ/√(σ²+ε).
    const [kernel] = block.conv.getWeights();
    const [gamma, beta, movingMean, movingVar] = block.batchNorm.getWeights();
    const eps = (block.batchNorm.getConfig() as { epsilon?: number }).epsilon ?? 1e-3;
    const folded = tf.tidy(() => {
      const s = tf.div(gamma, tf.sqrt(tf.add(movingVar, eps)));
      return { w: tf.mul(tf.reshape(kernel, [cin, cout]), s), b: tf.sub(beta, tf.mul(movingMean, s)) };
    });
    const w = tf.variable(folded.w as TF.Tensor2D, true);
    const b = tf.variable(folded.b as TF.Tensor1D, true);
    const head = model.head.members.map((m) => m.layers.map((l) => ({
      kernel: tf.tidy(() => tf.variable(tf.tensor2d(l.kernel, [l.inDim, l.outDim]), true)),
      bias: tf.tidy(() => tf.variable(tf.tensor1d(l.bias), true)),
      activation: l.activation,
    })));
    const mean = tf.tensor1d(model.head.mean);
    const std = tf.tensor1d(model.head.std);
    const variables = [w, b, ...head.flatMap((m) => m.flatMap((l) => [l.kernel, l.bias]))] as TF.Variable[];
    const optimizer = tf.train.adam(settings.learningRate);
    const k = model.classes.length;
    const denseData = denseOp(tf, false);
    const dense = denseOp(tf, true);

    /** Features of table rows for one view with the current block weights. */
    const features = (rowIdx: number[], view: View): TF.Tensor2D => {
      const n = rowIdx.length;
      const act = tf.tensor2d(spatial.gather(view, rowIdx), [n * hw, cin]);
      let y = tf.add(denseData(act, w), b) as TF.Tensor2D;
      y = (Number.isFinite(block.reluMax) ? tf.clipByValue(y, 0, block.reluMax) : tf.relu(y)) as TF.Tensor2D;
      const code = tf.mean(tf.reshape(y, [n, hw, cout]), 1) as TF.Tensor2D;
      const frozen = tf.tensor2d(gatherRows(table.rows[view]!, table.dim, rowIdx), [n, table.dim]);
      const parts: TF.Tensor2D[] = [];
      if (offset > 0) parts.push(tf.slice(frozen, [0, 0], [n, offset]));
      parts.push(code);
      if (offset + cout < table.dim) parts.push(tf.slice(frozen, [0, offset + cout], [n, table.dim - offset - cout]));
      return tf.div(tf.sub(parts.length > 1 ? tf.concat(parts, 1) : code, mean), std) as TF.Tensor2D;
    };
    const logitsOf = (x: TF.Tensor2D, member: (typeof head)[number], dropoutSeed?: number): TF.Tensor2D => {
      let h = x;
      member.forEach((l, n) => {
        h = tf.add(dense(h, l.kernel as TF.Tensor2D), l.bias) as TF.Tensor2D;
        if (l.activation === 'relu') {
          h = tf.relu(h);
          if (dropoutSeed !== undefined && input.head.dropout > 0) h = tf.dropout(h, input.head.dropout, undefined, dropoutSeed + n) as TF.Tensor2D;
        }
      });
      return h;
    };
    const validationScore = (): { accuracy: number; loss: number } => {
      if (!rows.validation.length) return { accuracy: 0, loss: 0 };
      const probs = new Float32Array(rows.validation.length * k);
      for (let start = 0; start < rows.validation.length; start += 256) {
        const chunk = rows.validation.slice(start, start + 256);
        const p = tf.tidy(() => {
          const each = views.map((v) => {
            const x = features(chunk, v);
            return tf.div(tf.addN(head.map((m) => tf.softmax(logitsOf(x, m)))), head.length);
          });
          return tf.div(tf.addN(each), views.length);
        });
        probs.set(p.dataSync() as Float32Array, start * k);
        p.dispose();
      }
      let correct = 0;
      let loss = 0;
      rows.validation.forEach((r, i) => {
        if (argMax(probs, i * k, k) === labels[r]) correct++;
        loss -= Math.log(Math.max(probs[i * k + labels[r]], 1e-7));
      });
      return { accuracy: correct / rows.validation.length, loss: loss / rows.validation.length };
    };

    let best = { accuracy: validationScore().accuracy, epoch: 0, weights: null as TF.Tensor[] | null };
    const before = best.accuracy;
    const random = seededRandom(deriveSeed(input.seed, 'fine-tune'));
    const examples = views.flatMap((v) => rows.train.map((r) => ({ r, v })));
    const batches = Math.ceil(examples.length / settings.batchSize);
    let step = 0;
    try {
      for (let epoch = 1; epoch <= settings.epochs; epoch++) {
        shuffleInPlace(examples, random);
        let lossSum = 0;
        let correct = 0;
        for (let start = 0; start < examples.length; start += settings.batchSize) {
          if (signal.aborted) throw new GraftError('cancelled', 'Fine-tuning was cancelled.');
          const batch = examples.slice(start, start + settings.batchSize);
          const dropoutSeed = Math.floor(random() * 2 ** 31);
          const out = tf.tidy(() => {
            // One view per example: group by view so each tensor is built in one go.
            const byView = views.map((v) => batch.filter((e) => e.v === v));
            const yIdx = byView.flat().map((e) => labels[e.r]);
            const y = tf.oneHot(tf.tensor1d(yIdx, 'int32'), k);
            let predicted: TF.Tensor | null = null;
            const cost = optimizer.minimize(() => {
              const x = tf.concat(byView.flatMap((list, vi) => (list.length ? [features(list.map((e) => e.r), views[vi])] : [])), 0) as TF.Tensor2D;
              const logits = head.map((m) => logitsOf(x, m, dropoutSeed));
              predicted = tf.keep(tf.argMax(tf.addN(logits.map((l) => tf.softmax(l))), 1));
              const losses = logits.map((l) => tf.losses.softmaxCrossEntropy(y, l, undefined, input.head.labelSmoothing));
              return tf.div(tf.addN(losses), losses.length) as TF.Scalar;
            }, true, variables)!;
            const hits = tf.sum(tf.cast(tf.equal(predicted!, tf.argMax(y, 1)), 'float32'));
            const r = tf.stack([tf.mul(cost, batch.length), hits]);
            (predicted as unknown as TF.Tensor).dispose();
            return r;
          });
          const [l, h] = out.dataSync();
          out.dispose();
          lossSum += l;
          correct += h;
          step++;
          input.progress(spatial.prepared + step, spatial.prepared + batches * settings.epochs, `fine-tuning ${bb.id} (epoch ${epoch}/${settings.epochs})`);
        }
        const { accuracy, loss: valLoss } = validationScore();
        input.onEpoch?.({
          epoch,
          loss: round5(lossSum / examples.length),
          accuracy: round5(correct / examples.length),
          valLoss: round5(valLoss),
          valAccuracy: round5(accuracy),
        });
        if (accuracy > best.accuracy) {
          if (best.weights) tf.dispose(best.weights);
          best = { accuracy, epoch, weights: variables.map((v) => tf.clone(v)) };
        }
      }

      const report = { backbone: bb.id, layer: block.conv.name, validationBefore: round5(before), validationAfter: round5(best.accuracy), kept: Boolean(best.weights), epochs: settings.epochs, seconds: 0 };
      if (!best.weights) {
        report.seconds = round2((Date.now() - started) / 1000);
        return { model, report };
      }
      // Kept: write the best weights back as layer weights and as new head parameters.
      variables.forEach((v, i) => v.assign(best.weights![i]));
      const newHead: HeadParams = {
        ...model.head,
        members: head.map((m) => ({
          layers: m.map((l) => ({
            inDim: l.kernel.shape[0] as number,
            outDim: l.kernel.shape[1] as number,
            kernel: l.kernel.dataSync() as Float32Array,
            bias: l.bias.dataSync() as Float32Array,
            activation: l.activation,
          })),
        })),
      };
      const wValues = w.dataSync() as Float32Array;
      const bValues = b.dataSync() as Float32Array;
      const fineTuned: NonNullable<StoredModel['fineTuned']> = {
        backbone: bb.id,
        layers: [
          { name: block.conv.name, weights: [{ shape: [1, 1, cin, cout], values: Float32Array.from(wValues) }] },
          {
            name: block.batchNorm.name,
            // An identity batch-norm plus the folded bias: y = x + b.
            weights: batchNormIdentity(block.batchNorm, bValues, eps),
          },
        ],
      };
      // Recompute every row's codes with the kept block, for evaluation.
      const newRows: FeatureTable['rows'] = { center: undefined, flip: undefined };
      const all = table.imageIds.map((_, i) => i);
      for (const v of views) {
        const out = new Float32Array(all.length * table.dim);
        for (let start = 0; start < all.length; start += 256) {
          const chunk = all.slice(start, start + 256);
          const x = tf.tidy(() => tf.add(tf.mul(features(chunk, v), std), mean));
          out.set(x.dataSync() as Float32Array, start * table.dim);
          x.dispose();
        }
        newRows[v] = out;
      }
      report.seconds = round2((Date.now() - started) / 1000);
      return { model: { ...model, head: newHead, fineTuned }, report, table: { ...table, rows: newRows } };
    } finally {
      if (best.weights) tf.dispose(best.weights);
      tf.dispose(variables);
      // The variables share storage with their initial tensors, which are owned separately.
      tf.dispose([folded.w, folded.b, mean, std]);
      optimizer.dispose();
    }
  } finally {
    bb.dispose();
  }
}

/** The first chosen backbone whose top block can be fine-tuned here. */
async function pickBackbone(input: FineTuneInput): Promise<{ backbone: Backbone; slot: number; block: TopBlock }> {
  const reasons: string[] = [];
  for (let slot = 0; slot < input.model.backbones.length; slot++) {
    const id = input.model.backbones[slot].id;
    const bb = await loadBackbone(id, { modelsDir: input.modelsDir, fast: false });
    const found = bb.layersModel ? findTopBlock(bb.layersModel, bb.spec.featureLayer) : { reason: 'it is not a layers model' };
    if ('block' in found) return { backbone: bb, slot, block: found.block };
    reasons.push(`${id}: ${found.reason}`);
    bb.dispose();
  }
  throw new GraftError('invalid_params', `None of the chosen backbones can be fine-tuned (${reasons.join('; ')}). Train without --fine-tune.`);
}

/** Walks back from the feature layer over pooling/reshape to conv 1×1 → batch-norm → ReLU(6). */
export function findTopBlock(model: TF.LayersModel, featureLayer: string | undefined): { block: TopBlock } | { reason: string } {
  let layer: TF.layers.Layer = featureLayer ? model.getLayer(featureLayer) : model.layers[model.layers.length - 1];
  const previous = (l: TF.layers.Layer): TF.layers.Layer | null => {
    const nodes = l.inboundNodes;
    return nodes.length === 1 && nodes[0].inboundLayers.length === 1 ? nodes[0].inboundLayers[0] : null;
  };
  while (layer && ['GlobalAveragePooling2D', 'Reshape', 'Flatten', 'Dropout'].includes(layer.getClassName())) {
    const p = previous(layer);
    if (!p) return { reason: 'its top layers branch' };
    layer = p;
  }
  const config = layer.getConfig() as { activation?: string; max_value?: number | null; maxValue?: number | null };
  let reluMax: number;
  if (layer.getClassName() === 'ReLU') reluMax = config.maxValue ?? config.max_value ?? Infinity;
  else if (layer.getClassName() === 'Activation' && (config.activation === 'relu6' || config.activation === 'relu')) reluMax = config.activation === 'relu6' ? 6 : Infinity;
  else return { reason: `its top layer ${layer.name} is not a ReLU` };
  const batchNorm = previous(layer);
  if (!batchNorm || batchNorm.getClassName() !== 'BatchNormalization') return { reason: 'no batch-norm under the top ReLU' };
  const conv = previous(batchNorm);
  const cc = conv?.getConfig() as { kernelSize?: number[]; kernel_size?: number[]; strides?: number[]; useBias?: boolean; use_bias?: boolean } | undefined;
  const ks = cc?.kernelSize ?? cc?.kernel_size;
  if (!conv || conv.getClassName() !== 'Conv2D' || !ks || ks[0] !== 1 || ks[1] !== 1 || (cc?.strides ?? [1, 1]).some((s) => s !== 1) || (cc?.useBias ?? cc?.use_bias)) {
    return { reason: 'its top block is not a 1×1 convolution without bias' };
  }
  const bnWeights = batchNorm.getWeights().length;
  if (bnWeights !== 4) return { reason: 'its top batch-norm has no scale or centre' };
  return { block: { conv, batchNorm, reluMax } };
}

interface Activations {
  /** Image passes done to prepare (counted in the stage's progress before training steps). */
  prepared: number;
  hw: number;
  cin: number;
  gather(view: View, rowIdx: number[]): Float32Array;
}

/** Runs the frozen part of the backbone once per image and view; keeps the block's inputs. */
async function frozenActivations(input: FineTuneInput, bb: Backbone, block: TopBlock, views: View[]): Promise<Activations> {
  const { tf } = input;
  const [, h, w, cin] = (block.conv.input as TF.SymbolicTensor).shape as number[];
  // The frozen part runs once per image: the batch-norm-folded fused path (fold.ts) does it
  // about five times faster than the layers model, which also shortens the wait for a cancel.
  const below = block.conv.inboundNodes[0].inboundLayers[0];
  const compiled = compileFastForward(tf, bb.layersModel!, { featureLayer: below.name, pooling: 'none' });
  const bottom = compiled.ok ? null : tf.model({ inputs: bb.layersModel!.inputs, outputs: block.conv.input as TF.SymbolicTensor });
  const frozenPart = (x: TF.Tensor4D): TF.Tensor =>
    compiled.ok ? tf.reshape(compiled.fast.forward(x), [x.shape[0], h, w, cin]) : (bottom!.predict(x) as TF.Tensor);
  try {
    return await frozenPasses(input, bb, frozenPart, { hw: h * w, cin }, views);
  } finally {
    if (compiled.ok) compiled.fast.dispose();
  }
}

async function frozenPasses(
  input: FineTuneInput,
  bb: Backbone,
  frozenPart: (x: TF.Tensor4D) => TF.Tensor,
  { hw, cin }: { hw: number; cin: number },
  views: View[],
): Promise<Activations> {
  const { tf } = input;
  const per = hw * cin;
  const n = input.images.length;
  if (n * views.length * per * 4 > 4 * 2 ** 30) {
    throw new GraftError('invalid_params', `Fine-tuning ${n} images would need more than 4 GB of memory. Train without --fine-tune, or on fewer images.`);
  }
  const store: Record<View, Float32Array | undefined> = { center: undefined, flip: undefined };
  const size = bb.inputSize;
  // Small batches: a cancel waits for the batch in flight, and on a slow shared machine
  // sixteen images through the frozen network took seconds. Small batches cost little on
  // the fused path (measured at 224 px: 40 ms an image one at a time, 35 in fours, 34 in
  // sixteens), and two keep a cancel well under a second even at 320 px.
  const batch = 2;
  const total = n * views.length;
  // Progress counts preparation passes then training steps as one bar; the training steps
  // are estimated here so the bar does not jump back when training starts.
  const steps = Math.ceil((input.rows.train.length * views.length) / input.settings.batchSize) * input.settings.epochs;
  let done = 0;
  for (const view of views) {
    const out = new Float32Array(n * per);
    for (let start = 0; start < n; start += batch) {
      if (input.signal.aborted) throw new GraftError('cancelled', 'Fine-tuning was cancelled.');
      const items = input.images.slice(start, start + batch);
      const pixels = new Float32Array(items.length * size * size * 3);
      const decoded = await Promise.all(items.map((img) => decodeForNetwork(img.path, size, { flip: view === 'flip' })));
      if (input.signal.aborted) throw new GraftError('cancelled', 'Fine-tuning was cancelled.');
      decoded.forEach((rgb, i) => toNetworkRange(rgb, bb.spec.inputRange, pixels, i * size * size * 3));
      const act = tf.tidy(() => frozenPart(tf.tensor4d(pixels, [items.length, size, size, 3])));
      out.set((await act.data()) as Float32Array, start * per);
      act.dispose();
      done += items.length;
      input.progress(done, total + steps, `preparing ${bb.id} for fine-tuning`);
    }
    store[view] = out;
  }
  return {
    prepared: total,
    hw,
    cin,
    gather: (view, rowIdx) => gatherRows(store[view]!, per, rowIdx),
  };
}

/** Batch-norm weights, in the layer's own order, that compute y = x + bias. */
function batchNormIdentity(layer: TF.layers.Layer, bias: Float32Array, eps: number): Array<{ shape: number[]; values: Float32Array }> {
  const c = bias.length;
  const byName: Record<string, Float32Array> = {
    gamma: new Float32Array(c).fill(Math.sqrt(1 + eps)),
    beta: Float32Array.from(bias),
    moving_mean: new Float32Array(c),
    moving_variance: new Float32Array(c).fill(1),
  };
  return layer.weights.map((v) => {
    const key = Object.keys(byName).find((k) => v.originalName.endsWith(k) || v.name.endsWith(k));
    if (!key) throw new GraftError('bad_model', `Unexpected batch-norm weight ${v.name}.`);
    return { shape: [c], values: byName[key] };
  });
}

function gatherRows(src: Float32Array, width: number, rowIdx: number[]): Float32Array {
  const out = new Float32Array(rowIdx.length * width);
  rowIdx.forEach((r, i) => out.set(src.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
