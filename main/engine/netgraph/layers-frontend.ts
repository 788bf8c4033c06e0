/**
 * Front end for Keras-style TF.js layers models (model.json with `class_name` Model /
 * Functional / Sequential, weights named `<layer>/<weight>`): the network up to its
 * feature layer as IR, at any square input size (the registry's `_at320` entries feed
 * the same weights larger images), read straight from the folder without TF.js.
 *
 * Layers are written as plain IR — batch norm as per-channel mul + add, ZeroPadding2D as
 * pad, activations as their own nodes — and `optimise.ts` then folds them into the
 * convolutions, as `main/engine/tf/fold.ts` does for TF.js. A layer kind, activation or option
 * this front end does not know fails with an UnsupportedModelError naming the layer.
 */
import { UnsupportedModelError, type Graph } from './ir';
import { optimise, type OptimiseReport } from './optimise';
import { GraphBuilder } from './shapes';
import type { TfjsModelJson, WeightEntry } from './tfjs-weights';

export interface FeatureOptions {
  /** The layer whose output holds the features; default the model's (first) output. */
  featureLayer?: string;
  /** 'avg': average a [n,h,w,c] feature map over h and w. */
  pooling: 'avg' | 'none';
  /** Square input side in pixels. */
  inputSize: number;
  /**
   * Replacement weights by layer name, in the layer's own weight order (TF.js
   * `layer.getWeights()`: e.g. kernel, bias; gamma, beta, moving mean, moving variance) —
   * a fine-tuned run's layers (main/engine/model/stored-model.ts `fineTuned`).
   */
  weightOverrides?: ReadonlyMap<string, readonly Float32Array[]>;
}

export interface BackboneGraph {
  /** One float32 input "image" `[n, size, size, c]` in the network's own range; one output "features" `[n, dim]`. */
  graph: Graph;
  dim: number;
  report: OptimiseReport;
}

interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  /** Names of the layers feeding this one (its only call). */
  inbound: string[];
}

export function layersBackboneGraph(json: TfjsModelJson, weights: Map<string, WeightEntry>, options: FeatureOptions): BackboneGraph {
  const { layers, outputLayer } = parseTopology(json.modelTopology);
  const b = new GraphBuilder();
  const target = options.featureLayer ?? outputLayer;
  const byName = new Map(layers.map((l) => [l.name, l]));
  if (!byName.has(target)) throw new UnsupportedModelError(`the model has no layer named ${target}`);

  // Only the layers the feature layer depends on.
  const needed = new Set<string>();
  const stack = [target];
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const layer = byName.get(name);
    if (!layer) throw new UnsupportedModelError(`a layer reads ${name}, which the model does not define`);
    stack.push(...layer.inbound);
  }

  const values = new Map<string, string>();
  const weight = (layer: KerasLayer, param: string): WeightEntry => {
    const original = findWeight(weights, layer.name, param);
    const replaced = options.weightOverrides?.get(layer.name);
    if (!replaced) return original;
    const order = weightOrder(layer);
    const values = replaced[order.indexOf(param)];
    if (order.length !== replaced.length || !values || values.length !== original.values.length) {
      throw new UnsupportedModelError(`the replacement weights of layer ${layer.name} do not fit it (${replaced.length} arrays for ${order.join(', ')})`);
    }
    return { ...original, values };
  };
  for (const name of options.weightOverrides?.keys() ?? []) {
    if (!byName.has(name)) throw new UnsupportedModelError(`the model has no layer ${name}, whose weights were replaced`);
  }
  for (const layer of layers) {
    if (!needed.has(layer.name)) continue;
    const ins = layer.inbound.map((n) => values.get(n)!);
    values.set(layer.name, addLayer(b, layer, ins, weight, options.inputSize));
  }

  let features = values.get(target)!;
  const shape = b.shape(features);
  if (options.pooling === 'avg' && shape.length === 4) features = b.add({ op: 'spatialMean', name: 'features_pool', inputs: [features], keepDims: false });
  if (b.shape(features).length !== 2) features = b.add({ op: 'flatten', name: 'features_flat', inputs: [features] });
  b.output('features', features);
  const { graph, report } = optimise(b.graph());
  return { graph, dim: b.shape(features)[1], report };
}

function parseTopology(topology: Record<string, unknown>): { layers: KerasLayer[]; outputLayer: string } {
  const root = ((topology.model_config as Record<string, unknown> | undefined) ?? topology) as { class_name?: string; config?: unknown };
  const config = root.config as { layers?: unknown[]; output_layers?: unknown[] } | unknown[] | undefined;
  const raw = (Array.isArray(config) ? config : config?.layers) as Array<{ class_name: string; name?: string; config: Record<string, unknown>; inbound_nodes?: unknown[] }> | undefined;
  if (!Array.isArray(raw) || !raw.length) throw new UnsupportedModelError('model.json holds no Keras layer list');
  const sequential = root.class_name === 'Sequential';
  const layers: KerasLayer[] = [];
  for (const [i, l] of raw.entries()) {
    const name = String(l.name ?? l.config?.name ?? `layer_${i}`);
    let inbound: string[];
    if (sequential) {
      inbound = layers.length ? [layers[layers.length - 1].name] : [];
      // A Sequential model's first layer carries the input shape itself.
      if (!layers.length && l.class_name !== 'InputLayer') {
        const shape = l.config.batch_input_shape ?? l.config.batchInputShape;
        layers.push({ class_name: 'InputLayer', name: `${name}_input`, config: { batch_input_shape: shape }, inbound: [] });
        inbound = [`${name}_input`];
      }
    } else {
      const nodes = l.inbound_nodes ?? [];
      if (nodes.length > 1) throw new UnsupportedModelError(`layer ${name} (${l.class_name}) is called more than once (a shared layer)`);
      inbound = nodes.length ? parseInbound(nodes[0], name) : [];
    }
    layers.push({ class_name: l.class_name, name, config: l.config ?? {}, inbound });
  }
  let outputLayer = layers[layers.length - 1].name;
  if (!sequential && !Array.isArray(config)) {
    const outs = (config as { output_layers?: unknown[] }).output_layers;
    const first = Array.isArray(outs) ? (Array.isArray(outs[0]) ? outs[0][0] : outs[0]) : undefined;
    if (typeof first === 'string') outputLayer = first;
  }
  return { layers, outputLayer };
}

function parseInbound(node: unknown, layer: string): string[] {
  if (!Array.isArray(node)) throw new UnsupportedModelError(`layer ${layer} lists its inputs in a format the compiler does not read (Keras 3?)`);
  return node.map((entry) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') throw new UnsupportedModelError(`layer ${layer} lists its inputs in a format the compiler does not read`);
    if (Number(entry[2] ?? 0) !== 0) throw new UnsupportedModelError(`layer ${layer} reads the second output of ${entry[0]}`);
    return entry[0] as string;
  });
}

/** A layer's weights in TF.js's order (`layer.getWeights()`). */
function weightOrder(layer: KerasLayer): string[] {
  const cfg = layer.config;
  const bias = Boolean(cfgOf(cfg, 'use_bias', 'useBias') ?? true) ? ['bias'] : [];
  switch (layer.class_name) {
    case 'Conv2D':
    case 'Dense':
      return ['kernel', ...bias];
    case 'DepthwiseConv2D':
      return ['depthwise_kernel', ...bias];
    case 'SeparableConv2D':
      return ['depthwise_kernel', 'pointwise_kernel', ...bias];
    case 'BatchNormalization':
      return [...(cfg.scale !== false ? ['gamma'] : []), ...(cfg.center !== false ? ['beta'] : []), 'moving_mean', 'moving_variance'];
    default:
      return [];
  }
}

function findWeight(weights: Map<string, WeightEntry>, layer: string, param: string): WeightEntry {
  const exact = weights.get(`${layer}/${param}`);
  if (exact) return exact;
  const suffix = `/${layer}/${param}`;
  const found = [...weights.entries()].filter(([n]) => n.endsWith(suffix) || n.endsWith(`${suffix}:0`));
  if (found.length === 1) return found[0][1];
  throw new UnsupportedModelError(`layer ${layer} has no weight ${param} in the model's weight files`);
}

const cfgOf = (c: Record<string, unknown>, snake: string, camel: string): unknown => c[snake] ?? c[camel];

function pair(v: unknown, fallback: number): [number, number] {
  if (v == null) return [fallback, fallback];
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  return [Number(v), Number(v)];
}

export function activationName(a: unknown): string {
  if (a == null) return 'linear';
  if (typeof a === 'string') return a.toLowerCase();
  const obj = a as { class_name?: string; className?: string; config?: { name?: string } };
  return String(obj.config?.name ?? obj.class_name ?? obj.className ?? 'linear').toLowerCase();
}

/** Adds `activation` after value x (nothing for linear); throws for kinds the IR lacks. */
export function addActivation(b: GraphBuilder, where: string, name: string, x: string, activation: string): string {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
    case 'relu6':
    case 'sigmoid':
    case 'tanh':
    case 'softmax':
      return b.add({ op: activation, name, inputs: [x] });
    case 'swish':
    case 'silu': {
      const s = b.add({ op: 'sigmoid', name: `${name}_sigmoid`, inputs: [x] });
      return b.add({ op: 'mul', name, inputs: [x, s] });
    }
    case 'hard_sigmoid':
    case 'hardsigmoid': {
      // Keras 2 / TF.js: clip(0.2·x + 0.5, 0, 1).
      const scaled = b.add({ op: 'mul', name: `${name}_scale`, inputs: [x, b.constant(`${name}_k`, Float32Array.of(0.2), [])] });
      const shifted = b.add({ op: 'add', name: `${name}_shift`, inputs: [scaled, b.constant(`${name}_h`, Float32Array.of(0.5), [])] });
      return b.add({ op: 'clip', name, inputs: [shifted], min: 0, max: 1 });
    }
    default:
      throw new UnsupportedModelError(`${where} uses the activation ${activation}, which the compiler does not support`);
  }
}

type WeightOf = (layer: KerasLayer, param: string) => WeightEntry;

function floats(w: WeightEntry, layer: string): Float32Array {
  if (!(w.values instanceof Float32Array)) throw new UnsupportedModelError(`layer ${layer} has integer weights`);
  return w.values;
}

function addLayer(b: GraphBuilder, layer: KerasLayer, ins: string[], weight: WeightOf, inputSize: number): string {
  const { class_name: cls, name, config: cfg } = layer;
  const where = `layer ${name} (${cls})`;
  const x = ins[0];
  if (cfgOf(cfg, 'data_format', 'dataFormat') === 'channels_first' || cfg.dataFormat === 'channelsFirst') throw new UnsupportedModelError(`${where} is channels-first`);
  switch (cls) {
    case 'InputLayer': {
      const shape = (cfgOf(cfg, 'batch_input_shape', 'batchInputShape') ?? cfgOf(cfg, 'batch_shape', 'batchShape')) as Array<number | null> | undefined;
      if (!shape || shape.length !== 4) throw new UnsupportedModelError(`${where} takes [${shape?.join(', ')}], not an image batch [n, h, w, c]`);
      const channels = Number(shape[3]);
      if (!(channels > 0)) throw new UnsupportedModelError(`${where} does not say how many channels its images have`);
      return b.input('image', 'float32', [-1, inputSize, inputSize, channels]);
    }
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const depthwise = cls === 'DepthwiseConv2D';
      if (Number(cfg.groups ?? 1) !== 1) throw new UnsupportedModelError(`${where} is a grouped convolution`);
      const k = weight(layer, depthwise ? 'depthwise_kernel' : 'kernel');
      if (k.shape.length !== 4) throw new UnsupportedModelError(`${where} has a kernel of shape [${k.shape}]`);
      const useBias = Boolean(cfgOf(cfg, 'use_bias', 'useBias') ?? true);
      const conv = b.add({
        op: depthwise ? 'depthwiseConv2d' : 'conv2d',
        name,
        inputs: [x],
        kernel: floats(k, name),
        kernelShape: k.shape as [number, number, number, number],
        bias: useBias ? floats(weight(layer, 'bias'), name) : null,
        strides: pair(cfg.strides, 1),
        dilations: pair(cfgOf(cfg, 'dilation_rate', 'dilationRate'), 1),
        padding: convPadding(cfg.padding, where),
        activation: 'linear',
      });
      return addActivation(b, where, `${name}_act`, conv, activationName(cfg.activation));
    }
    case 'SeparableConv2D': {
      const dk = weight(layer, 'depthwise_kernel');
      const pk = weight(layer, 'pointwise_kernel');
      const useBias = Boolean(cfgOf(cfg, 'use_bias', 'useBias') ?? true);
      const dw = b.add({
        op: 'depthwiseConv2d',
        name: `${name}_depthwise`,
        inputs: [x],
        kernel: floats(dk, name),
        kernelShape: dk.shape as [number, number, number, number],
        bias: null,
        strides: pair(cfg.strides, 1),
        dilations: pair(cfgOf(cfg, 'dilation_rate', 'dilationRate'), 1),
        padding: convPadding(cfg.padding, where),
        activation: 'linear',
      });
      const pw = b.add({
        op: 'conv2d',
        name,
        inputs: [dw],
        kernel: floats(pk, name),
        kernelShape: pk.shape as [number, number, number, number],
        bias: useBias ? floats(weight(layer, 'bias'), name) : null,
        strides: [1, 1],
        dilations: [1, 1],
        padding: 'valid',
        activation: 'linear',
      });
      return addActivation(b, where, `${name}_act`, pw, activationName(cfg.activation));
    }
    case 'BatchNormalization': {
      const axis = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
      const rank = b.shape(x).length;
      if (axis.length !== 1 || !(Number(axis[0]) === -1 || Number(axis[0]) === rank - 1)) throw new UnsupportedModelError(`${where} normalises axis ${String(cfg.axis)}, not the channels`);
      const eps = Number(cfg.epsilon ?? 1e-3);
      const mean = floats(weight(layer, 'moving_mean'), name);
      const variance = floats(weight(layer, 'moving_variance'), name);
      const gamma = cfg.scale !== false ? floats(weight(layer, 'gamma'), name) : null;
      const beta = cfg.center !== false ? floats(weight(layer, 'beta'), name) : null;
      const c = mean.length;
      const scale = new Float32Array(c);
      const shift = new Float32Array(c);
      for (let i = 0; i < c; i++) {
        const s = (gamma ? gamma[i] : 1) / Math.sqrt(variance[i] + eps);
        scale[i] = s;
        shift[i] = (beta ? beta[i] : 0) - mean[i] * s;
      }
      const scaled = b.add({ op: 'mul', name: `${name}_scale`, inputs: [x, b.constant(`${name}_scale_k`, scale, [c])] });
      return b.add({ op: 'add', name, inputs: [scaled, b.constant(`${name}_shift_k`, shift, [c])] });
    }
    case 'Activation':
      return addActivation(b, where, name, x, activationName(cfg.activation));
    case 'ReLU': {
      if (Number(cfgOf(cfg, 'negative_slope', 'negativeSlope') ?? 0) !== 0) throw new UnsupportedModelError(`${where} is a leaky ReLU`);
      if (Number(cfg.threshold ?? 0) !== 0) throw new UnsupportedModelError(`${where} is a thresholded ReLU`);
      const max = cfgOf(cfg, 'max_value', 'maxValue');
      if (max == null) return b.add({ op: 'relu', name, inputs: [x] });
      if (Number(max) === 6) return b.add({ op: 'relu6', name, inputs: [x] });
      return b.add({ op: 'clip', name, inputs: [x], min: 0, max: Number(max) });
    }
    case 'Softmax': {
      const axis = cfg.axis ?? -1;
      if (!(Number(axis) === -1 || Number(axis) === b.shape(x).length - 1)) throw new UnsupportedModelError(`${where} normalises axis ${String(axis)}, not the last`);
      return b.add({ op: 'softmax', name, inputs: [x] });
    }
    case 'ZeroPadding2D': {
      const [[t, bo], [l, r]] = zeroPadding(cfg.padding);
      return b.add({ op: 'pad', name, inputs: [x], pads: [[0, 0], [t, bo], [l, r], [0, 0]], value: 0 });
    }
    case 'Add':
    case 'Multiply':
    case 'Subtract':
    case 'Average': {
      if (cls === 'Subtract') {
        if (ins.length !== 2) throw new UnsupportedModelError(`${where} has ${ins.length} inputs`);
        return b.add({ op: 'sub', name, inputs: ins });
      }
      const op = cls === 'Multiply' ? 'mul' : 'add';
      let acc = ins[0];
      for (let i = 1; i < ins.length; i++) acc = b.add({ op, name: i === ins.length - 1 && cls !== 'Average' ? name : `${name}_${i}`, inputs: [acc, ins[i]] });
      if (cls === 'Average') acc = b.add({ op: 'mul', name, inputs: [acc, b.constant(`${name}_n`, Float32Array.of(1 / ins.length), [])] });
      return acc;
    }
    case 'Concatenate': {
      const rank = b.shape(x).length;
      const axis = Number(cfg.axis ?? -1);
      return b.add({ op: 'concat', name, inputs: ins, axis: axis < 0 ? rank + axis : axis });
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return b.add({ op: cls === 'GlobalAveragePooling2D' ? 'spatialMean' : 'spatialMax', name, inputs: [x], keepDims: Boolean(cfg.keepdims) });
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const size = pair(cfgOf(cfg, 'pool_size', 'poolSize'), 2);
      return b.add({ op: cls === 'MaxPooling2D' ? 'maxPool' : 'avgPool', name, inputs: [x], size, strides: pair(cfg.strides, size[0]), padding: convPadding(cfg.padding, where) });
    }
    case 'Reshape': {
      const target = (cfgOf(cfg, 'target_shape', 'targetShape') as number[]).map(Number);
      const total = b.shape(x).slice(1).reduce((a, c) => a * c, 1);
      const known = target.filter((d) => d !== -1).reduce((a, c) => a * c, 1);
      return b.add({ op: 'reshape', name, inputs: [x], shape: target.map((d) => (d === -1 ? total / known : d)) });
    }
    case 'Flatten':
      return b.add({ op: 'flatten', name, inputs: [x] });
    case 'Dense': {
      if (b.shape(x).length !== 2) throw new UnsupportedModelError(`${where} reads a rank-${b.shape(x).length} value; the compiler supports dense layers on [n, features] only`);
      const k = weight(layer, 'kernel');
      const useBias = Boolean(cfgOf(cfg, 'use_bias', 'useBias') ?? true);
      const d = b.add({ op: 'dense', name, inputs: [x], inDim: k.shape[0], outDim: k.shape[1], kernel: floats(k, name), bias: useBias ? floats(weight(layer, 'bias'), name) : null, activation: 'linear' });
      return addActivation(b, where, `${name}_act`, d, activationName(cfg.activation));
    }
    case 'Rescaling': {
      const scaled = b.add({ op: 'mul', name: `${name}_scale`, inputs: [x, b.constant(`${name}_k`, Float32Array.of(Number(cfg.scale ?? 1)), [])] });
      return b.add({ op: 'add', name, inputs: [scaled, b.constant(`${name}_o`, Float32Array.of(Number(cfg.offset ?? 0)), [])] });
    }
    case 'Dropout':
    case 'SpatialDropout2D':
    case 'GaussianNoise':
    case 'GaussianDropout':
    case 'AlphaDropout':
      return x; // identity at inference
    default:
      throw new UnsupportedModelError(`${where}: the compiler does not support ${cls} layers`);
  }
}

function convPadding(p: unknown, where: string): 'same' | 'valid' {
  if (p === 'same' || p === 'valid') return p;
  throw new UnsupportedModelError(`${where} has padding ${String(p)}`);
}

function zeroPadding(p: unknown): [[number, number], [number, number]] {
  if (typeof p === 'number') return [[p, p], [p, p]];
  const a = p as Array<number | number[]>;
  const one = (v: number | number[]): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1])] : [Number(v), Number(v)]);
  return [one(a[0]), one(a[1])];
}
