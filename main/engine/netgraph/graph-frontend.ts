/**
 * Front end for TF.js graph models (model.json with `format: "graph-model"`: a TensorFlow
 * GraphDef in `modelTopology.node`, constants in the weight files): the nodes the
 * feature node depends on, as IR, at a given square input size.
 *
 * Node attributes are GraphDef's JSON form (tensorflow/core/framework/attr_value.proto):
 * strings base64 in `s`, integer lists as decimal strings in `list.i`. Ops read: Placeholder,
 * Const, Identity, Conv2D, DepthwiseConv2dNative, TF.js's fused _FusedConv2D /
 * FusedDepthwiseConv2dNative / _FusedMatMul, MatMul, BiasAdd, Add(V2)/Sub/Mul/RealDiv,
 * FusedBatchNorm(V2/V3), Relu/Relu6/Sigmoid/Tanh/Softmax, Mean/Max over height and width,
 * AvgPool/MaxPool, Squeeze, Reshape, ConcatV2, Pad(V2). Anything else fails with an
 * UnsupportedModelError naming the node and its op.
 */
import { UnsupportedModelError } from './ir';
import type { BackboneGraph } from './layers-frontend';
import { optimise } from './optimise';
import { GraphBuilder } from './shapes';
import type { TfjsModelJson, WeightEntry } from './tfjs-weights';

export interface GraphFeatureOptions {
  /** The node whose output holds the features; default the graph's one output. */
  featureNode?: string;
  pooling: 'avg' | 'none';
  inputSize: number;
}

interface AttrValue {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { i?: Array<string | number>; s?: string[] };
  shape?: { dim?: Array<{ size: string | number }>; unknownRank?: boolean };
}

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

const ALIASES = new Set(['Identity', 'StopGradient', 'Snapshot', 'PreventGradient']);

export function graphModelBackboneGraph(json: TfjsModelJson, weights: Map<string, WeightEntry>, options: GraphFeatureOptions): BackboneGraph {
  const nodes = (json.modelTopology.node as TfNode[] | undefined) ?? [];
  if (!nodes.length) throw new UnsupportedModelError('model.json holds no graph nodes');
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const target = options.featureNode ?? soleOutput(nodes);
  if (!byName.has(target)) throw new UnsupportedModelError(`the graph has no node named ${target}`);

  const b = new GraphBuilder();
  const values = new Map<string, string>();
  const consts = new Map<string, WeightEntry>();
  const visiting = new Set<string>();

  const resolve = (ref: string): string => {
    const name = refName(ref);
    const known = values.get(name);
    if (known) return known;
    if (visiting.has(name)) throw new UnsupportedModelError(`node ${name} is part of a cycle`);
    const node = byName.get(name);
    if (!node) throw new UnsupportedModelError(`a node reads ${name}, which the graph does not define`);
    visiting.add(name);
    const v = convert(node);
    visiting.delete(name);
    values.set(name, v);
    return v;
  };

  /** A Const node's (or an alias of one) weights, or null when `ref` is not constant. */
  const constOf = (ref: string): WeightEntry | null => {
    let node = byName.get(refName(ref));
    while (node && ALIASES.has(node.op)) node = byName.get(refName(dataInputs(node)[0]));
    if (!node || node.op !== 'Const') return null;
    const known = consts.get(node.name);
    if (known) return known;
    const w = weights.get(node.name);
    if (!w) throw new UnsupportedModelError(`the constant ${node.name} is not in the weight files`);
    consts.set(node.name, w);
    return w;
  };
  const needConst = (node: TfNode, ref: string, what: string): WeightEntry => {
    const c = constOf(ref);
    if (!c) throw new UnsupportedModelError(`node ${node.name} (${node.op}) takes its ${what} from a computed value; the compiler needs a constant`);
    return c;
  };
  const floatsOf = (w: WeightEntry): Float32Array => (w.values instanceof Float32Array ? w.values : Float32Array.from(w.values));
  /** A binary operand: a value, or a constant node for a Const. */
  const operand = (node: TfNode, ref: string): string => {
    const c = constOf(ref);
    return c ? b.constant(`${node.name}/${refName(ref)}`, floatsOf(c), c.shape) : resolve(ref);
  };

  const convert = (node: TfNode): string => {
    const ins = dataInputs(node);
    const where = `node ${node.name} (${node.op})`;
    const attr = node.attr ?? {};
    const format = attr.data_format ? text(attr.data_format) : 'NHWC';
    if (format !== 'NHWC') throw new UnsupportedModelError(`${where} is ${format}; the compiler reads NHWC graphs`);
    if (ALIASES.has(node.op)) return resolve(ins[0]);
    switch (node.op) {
      case 'Placeholder': {
        const dims = attr.shape?.shape?.dim?.map((d) => Number(d.size)) ?? [];
        if (dims.length !== 4) throw new UnsupportedModelError(`${where} takes [${dims.join(', ')}], not an image batch [n, h, w, c]`);
        return b.input('image', 'float32', [-1, options.inputSize, options.inputSize, dims[3] > 0 ? dims[3] : 3]);
      }
      case 'Const':
        throw new UnsupportedModelError(`${where} is used as a computed value`);
      case 'Conv2D':
      case 'DepthwiseConv2dNative':
      case '_FusedConv2D':
      case 'FusedDepthwiseConv2dNative': {
        const depthwise = node.op.includes('Depthwise');
        const filter = needConst(node, ins[1], 'filter');
        const strides = ints(attr.strides, [1, 1, 1, 1]);
        const dilations = ints(attr.dilations, [1, 1, 1, 1]);
        const pad = text(attr.padding);
        let padding: 'same' | 'valid' | { top: number; bottom: number; left: number; right: number };
        if (pad === 'SAME' || pad === 'VALID') padding = pad === 'SAME' ? 'same' : 'valid';
        else if (pad === 'EXPLICIT') {
          const e = ints(attr.explicit_paddings, []);
          padding = { top: e[2], bottom: e[3], left: e[4], right: e[5] };
        } else throw new UnsupportedModelError(`${where} has padding ${pad}`);
        const conv = b.add({
          op: depthwise ? 'depthwiseConv2d' : 'conv2d',
          name: node.name,
          inputs: [resolve(ins[0])],
          kernel: floatsOf(filter),
          kernelShape: filter.shape as [number, number, number, number],
          bias: null,
          strides: [strides[1], strides[2]],
          dilations: [dilations[1], dilations[2]],
          padding,
          activation: 'linear',
        });
        return node.op.startsWith('_Fused') || node.op.startsWith('Fused') ? fusedTail(node, conv, ins.slice(2)) : conv;
      }
      case 'MatMul':
      case '_FusedMatMul': {
        if (attr.transpose_a?.b) throw new UnsupportedModelError(`${where} transposes its input`);
        const w = needConst(node, ins[1], 'weights');
        let kernel = floatsOf(w);
        let [inDim, outDim] = w.shape;
        if (attr.transpose_b?.b) {
          [inDim, outDim] = [outDim, inDim];
          const t = new Float32Array(kernel.length);
          for (let i = 0; i < inDim; i++) for (let o = 0; o < outDim; o++) t[i * outDim + o] = kernel[o * inDim + i];
          kernel = t;
        }
        const d = b.add({ op: 'dense', name: node.name, inputs: [resolve(ins[0])], inDim, outDim, kernel, bias: null, activation: 'linear' });
        return node.op === '_FusedMatMul' ? fusedTail(node, d, ins.slice(2)) : d;
      }
      case 'BiasAdd':
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Div': {
        const op = node.op === 'Sub' ? 'sub' : node.op === 'Mul' ? 'mul' : node.op === 'RealDiv' || node.op === 'Div' ? 'div' : 'add';
        return b.add({ op, name: node.name, inputs: [operand(node, ins[0]), operand(node, ins[1])] });
      }
      case 'FusedBatchNorm':
      case 'FusedBatchNormV2':
      case 'FusedBatchNormV3':
        return batchNorm(node.name, resolve(ins[0]), ins.slice(1, 5).map((r) => floatsOf(needConst(node, r, 'statistics'))), Number(attr.epsilon?.f ?? 1e-3));
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid':
      case 'Tanh':
      case 'Softmax': {
        const op = ({ Relu: 'relu', Relu6: 'relu6', Sigmoid: 'sigmoid', Tanh: 'tanh', Softmax: 'softmax' } as const)[node.op];
        return b.add({ op, name: node.name, inputs: [resolve(ins[0])] });
      }
      case 'Mean':
      case 'Max': {
        const x = resolve(ins[0]);
        const axes = [...needConst(node, ins[1], 'axes').values].map((a) => (a < 0 ? a + b.shape(x).length : a)).sort();
        if (b.shape(x).length !== 4 || axes.join(',') !== '1,2') throw new UnsupportedModelError(`${where} reduces axes ${axes.join(', ')}; the compiler supports means and maxima over height and width only`);
        return b.add({ op: node.op === 'Mean' ? 'spatialMean' : 'spatialMax', name: node.name, inputs: [x], keepDims: Boolean(attr.keep_dims?.b) });
      }
      case 'AvgPool':
      case 'MaxPool': {
        const k = ints(attr.ksize, []);
        const s = ints(attr.strides, []);
        const pad = text(attr.padding);
        if (pad !== 'SAME' && pad !== 'VALID') throw new UnsupportedModelError(`${where} has padding ${pad}`);
        return b.add({ op: node.op === 'AvgPool' ? 'avgPool' : 'maxPool', name: node.name, inputs: [resolve(ins[0])], size: [k[1], k[2]], strides: [s[1], s[2]], padding: pad === 'SAME' ? 'same' : 'valid' });
      }
      case 'Squeeze': {
        const x = resolve(ins[0]);
        const shape = b.shape(x);
        const listed = ints(attr.squeeze_dims ?? attr.axis, []).map((a) => (a < 0 ? a + shape.length : a));
        if (listed.includes(0)) throw new UnsupportedModelError(`${where} squeezes the batch dimension`);
        const kept = shape.slice(1).filter((d, i) => (listed.length ? !listed.includes(i + 1) : d !== 1));
        return b.add({ op: 'reshape', name: node.name, inputs: [x], shape: kept });
      }
      case 'Reshape': {
        const x = resolve(ins[0]);
        const target = [...needConst(node, ins[1], 'shape').values].slice(1);
        const total = b.shape(x).slice(1).reduce((a, c) => a * c, 1);
        const known = target.filter((d) => d !== -1).reduce((a, c) => a * c, 1);
        return b.add({ op: 'reshape', name: node.name, inputs: [x], shape: target.map((d) => (d === -1 ? total / known : d)) });
      }
      case 'ConcatV2': {
        const parts = ins.slice(0, -1).map((r) => resolve(r));
        const rank = b.shape(parts[0]).length;
        const axis = Number(needConst(node, ins[ins.length - 1], 'axis').values[0]);
        return b.add({ op: 'concat', name: node.name, inputs: parts, axis: axis < 0 ? rank + axis : axis });
      }
      case 'Pad':
      case 'PadV2': {
        const x = resolve(ins[0]);
        const p = [...needConst(node, ins[1], 'paddings').values];
        const value = node.op === 'PadV2' ? Number(needConst(node, ins[2], 'value').values[0]) : 0;
        const pads = b.shape(x).map((_, i) => [p[2 * i], p[2 * i + 1]] as [number, number]);
        return b.add({ op: 'pad', name: node.name, inputs: [x], pads, value });
      }
      default:
        throw new UnsupportedModelError(`${where}: the compiler does not support ${node.op} ops`);
    }
  };

  const batchNorm = (name: string, x: string, [gamma, beta, mean, variance]: Float32Array[], eps: number): string => {
    const c = mean.length;
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      const s = gamma[i] / Math.sqrt(variance[i] + eps);
      scale[i] = s;
      shift[i] = beta[i] - mean[i] * s;
    }
    const scaled = b.add({ op: 'mul', name: `${name}/scale`, inputs: [x, b.constant(`${name}/scale_k`, scale, [c])] });
    return b.add({ op: 'add', name, inputs: [scaled, b.constant(`${name}/shift_k`, shift, [c])] });
  };

  /** The ops TF.js fused after a conv or matmul (`fused_ops`), applied to value `x`. */
  const fusedTail = (node: TfNode, x: string, args: string[]): string => {
    const ops = (node.attr?.fused_ops?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
    let v = x;
    let next = 0;
    for (const op of ops) {
      switch (op) {
        case 'BiasAdd':
          v = b.add({ op: 'add', name: `${node.name}/bias`, inputs: [v, operand(node, args[next++])] });
          break;
        case 'FusedBatchNorm':
          v = batchNorm(`${node.name}/bn`, v, args.slice(next, next + 4).map((r) => floatsOf(needConst(node, r, 'statistics'))), Number(node.attr?.epsilon?.f ?? 1e-3));
          next += 4;
          break;
        case 'Relu':
        case 'Relu6':
        case 'Sigmoid':
        case 'Tanh':
          v = b.add({ op: ({ Relu: 'relu', Relu6: 'relu6', Sigmoid: 'sigmoid', Tanh: 'tanh' } as const)[op], name: `${node.name}/${op}`, inputs: [v] });
          break;
        default:
          throw new UnsupportedModelError(`node ${node.name} (${node.op}) fuses ${op}, which the compiler does not support`);
      }
    }
    return v;
  };

  let features = resolve(target);
  if (options.pooling === 'avg' && b.shape(features).length === 4) features = b.add({ op: 'spatialMean', name: 'features_pool', inputs: [features], keepDims: false });
  if (b.shape(features).length !== 2) features = b.add({ op: 'flatten', name: 'features_flat', inputs: [features] });
  if (!b.inputs.length) throw new UnsupportedModelError(`node ${target} does not depend on the graph's input`);
  b.output('features', features);
  const { graph, report } = optimise(b.graph());
  return { graph, dim: b.shape(features)[1], report };
}

function refName(ref: string): string {
  const name = ref.startsWith('^') ? ref.slice(1) : ref;
  const colon = name.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(name.slice(colon + 1))) {
    if (name.slice(colon + 1) !== '0') throw new UnsupportedModelError(`a node reads output ${name.slice(colon + 1)} of ${name.slice(0, colon)}; the compiler reads first outputs only`);
    return name.slice(0, colon);
  }
  return name;
}

/** Inputs without control dependencies (`^name`). */
function dataInputs(node: TfNode): string[] {
  return (node.input ?? []).filter((i) => !i.startsWith('^'));
}

function soleOutput(nodes: TfNode[]): string {
  const read = new Set(nodes.flatMap((n) => dataInputs(n).map(refName)));
  const ends = nodes.filter((n) => !read.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp');
  if (ends.length !== 1) throw new UnsupportedModelError(`the graph has ${ends.length} outputs (${ends.slice(0, 4).map((n) => n.name).join(', ')}); name the feature node`);
  return ends[0].name;
}

function text(a: AttrValue | undefined): string {
  return a?.s ? Buffer.from(a.s, 'base64').toString('utf8') : '';
}

function ints(a: AttrValue | undefined, fallback: number[]): number[] {
  const list = a?.list?.i;
  return list && list.length ? list.map(Number) : fallback;
}
