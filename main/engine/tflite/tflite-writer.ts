/**
 * Writes an IR graph (`../netgraph/ir.ts`) as a TensorFlow Lite model: a FlatBuffer of the
 * published schema (tensorflow/lite/schema/schema.fbs, file identifier "TFL3", schema
 * version 3), built with the `flatbuffers` package. The table field numbers below are the
 * schema's field order (a union takes two slots: its type, then its value).
 *
 * Layout: TFLite is NHWC like the IR, so values keep their layout; only weights are
 * rearranged — conv kernels HWIO → OHWI, dense kernels [in, out] → [out, in]; depthwise
 * kernels [kh, kw, c, m] already have the bytes of TFLite's [1, kh, kw, c·m]. The batch
 * is 1 (what mobile interpreters run; `resizeInputTensor` gives more).
 *
 * Weights: 'float32' as they are; 'float16' stores conv and dense kernels as FLOAT16 and
 * 'int8' as INT8 with one symmetric scale per output channel, each followed by a
 * DEQUANTIZE op, so the file is smaller and every op still computes in float32 — the
 * layout TensorFlow's own converter writes for float16 weights.
 */
import { Builder, type Offset } from 'flatbuffers';
import { producers, UnsupportedModelError, validateGraph, type Graph, type Node, type Padding } from '../netgraph/ir';
import { inferShapes, resolvePadding, type Shape } from '../netgraph/shapes';
import { toFloat16Bits } from './float16';

export type TfliteWeights = 'float32' | 'float16' | 'int8';

export interface TfliteWriteOptions {
  weights?: TfliteWeights;
  description?: string;
  /** Extra Model.metadata entries (name → bytes), e.g. the labels. */
  metadata?: Record<string, Uint8Array>;
}

/** schema.fbs enums. */
const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT8: 9 } as const;
const Op = {
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, FULLY_CONNECTED: 9,
  LOGISTIC: 14, MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22, SOFTMAX: 25, TANH: 28, PAD: 34, MEAN: 40,
  SUB: 41, DIV: 42, CAST: 53, MAXIMUM: 55, MINIMUM: 57, PADV2: 60, REDUCE_MAX: 82, REVERSE_V2: 105,
} as const;
const OpName = Object.fromEntries(Object.entries(Op).map(([k, v]) => [v, k])) as Record<number, string>;
/** BuiltinOptions union members (1-based; 0 is NONE). */
const Options = { Conv2D: 1, DepthwiseConv2D: 2, Pool2D: 5, FullyConnected: 8, Softmax: 9, Concatenation: 10, Add: 11, Reshape: 17, Mul: 21, Reducer: 27, Sub: 28, Div: 29 } as const;
const PaddingKind = { SAME: 0, VALID: 1 } as const;
const Activation = { linear: 0, relu: 1, relu6: 3 } as const;

export const TFLITE_SCHEMA_VERSION = 3;

interface TensorSpec {
  name: string;
  shape: number[];
  type: number;
  buffer: number;
  quantization?: { scale: number[]; zeroPoint: number[]; dimension: number };
}

interface OpSpec {
  code: number;
  inputs: number[];
  outputs: number[];
  options?: { type: number; write(b: Builder): Offset };
}

/** The .tflite bytes of an IR graph. Throws UnsupportedModelError naming a node TFLite cannot express here. */
export function writeTflite(graph: Graph, options: TfliteWriteOptions = {}): Uint8Array {
  validateGraph(graph);
  const e = new TfliteEmitter(graph, options.weights ?? 'float32');
  e.emitAll();
  return e.serialise(options);
}

class TfliteEmitter {
  private readonly shapes: Map<string, Shape>;
  private readonly byOutput: Map<string, Node>;
  readonly tensors: TensorSpec[] = [];
  /** Buffer 0 is the schema's empty sentinel. */
  readonly buffers: Array<Uint8Array | null> = [null];
  readonly ops: OpSpec[] = [];
  readonly inputs: number[] = [];
  readonly outputs: Array<{ name: string; tensor: number }> = [];
  private readonly tensorOf = new Map<string, number>();
  private readonly weightTensors = new Map<Float32Array, Map<string, number>>();

  constructor(
    private readonly graph: Graph,
    private readonly weights: TfliteWeights,
  ) {
    this.shapes = inferShapes(graph);
    this.byOutput = producers(graph);
  }

  private shapeOf(value: string): number[] {
    return this.shapes.get(value)!.map((d) => (d === -1 ? 1 : d));
  }

  private tensor(spec: Omit<TensorSpec, 'buffer'>, data?: Uint8Array): number {
    let buffer = 0;
    if (data) {
      buffer = this.buffers.length;
      this.buffers.push(data);
    }
    this.tensors.push({ ...spec, buffer });
    return this.tensors.length - 1;
  }

  private floatConst(name: string, shape: number[], values: Float32Array): number {
    return this.tensor({ name, shape, type: TensorType.FLOAT32 }, bytesOf(values));
  }

  private intConst(name: string, shape: number[], values: number[]): number {
    return this.tensor({ name, shape, type: TensorType.INT32 }, bytesOf(Int32Array.from(values)));
  }

  /**
   * A kernel in TFLite's layout, stored once per array and layout, in the chosen weight
   * type (`channelAxis`: the output-channel axis its int8 scales follow).
   */
  private kernel(name: string, array: Float32Array, layout: string, shape: number[], channelAxis: number, rearrange: () => Float32Array): number {
    const known = this.weightTensors.get(array)?.get(layout);
    if (known !== undefined) return known;
    const values = rearrange();
    let index: number;
    if (this.weights === 'float32') {
      index = this.floatConst(name, shape, values);
    } else {
      const stored =
        this.weights === 'float16'
          ? this.tensor({ name: `${name}_f16`, shape, type: TensorType.FLOAT16 }, bytesOf(toFloat16Bits(values)))
          : this.int8Tensor(`${name}_int8`, shape, channelAxis, values);
      index = this.tensor({ name, shape, type: TensorType.FLOAT32 });
      this.ops.push({ code: Op.DEQUANTIZE, inputs: [stored], outputs: [index] });
    }
    if (!this.weightTensors.has(array)) this.weightTensors.set(array, new Map());
    this.weightTensors.get(array)!.set(layout, index);
    return index;
  }

  /** Symmetric per-channel int8: q = round(v / scale), scale = max|v| / 127 over the channel. */
  private int8Tensor(name: string, shape: number[], axis: number, values: Float32Array): number {
    const channels = shape[axis];
    const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
    const max = new Float32Array(channels);
    for (let i = 0; i < values.length; i++) {
      const c = Math.floor(i / inner) % channels;
      max[c] = Math.max(max[c], Math.abs(values[i]));
    }
    const scale = Array.from(max, (m) => (m > 0 ? m / 127 : 1));
    const q = new Int8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const c = Math.floor(i / inner) % channels;
      q[i] = Math.max(-127, Math.min(127, Math.round(values[i] / scale[c])));
    }
    return this.tensor({ name, shape, type: TensorType.INT8, quantization: { scale, zeroPoint: new Array(channels).fill(0), dimension: axis } }, new Uint8Array(q.buffer));
  }

  private value(name: string): number {
    const t = this.tensorOf.get(name);
    if (t !== undefined) return t;
    const p = this.byOutput.get(name);
    if (p?.op === 'constant') throw new Error(`TFLite writer: constant ${name} read by an op that takes none`);
    throw new Error(`TFLite writer: value ${name} has no tensor`);
  }

  /** A binary op's operand: a value, or a constant given the rank of the other operand. */
  private operand(name: string, rank: number): number {
    const p = this.byOutput.get(name);
    if (p?.op !== 'constant') return this.value(name);
    const shape = [...new Array(Math.max(0, rank - p.shape.length)).fill(1), ...p.shape];
    return this.floatConst(p.name, shape, p.values);
  }

  private out(n: Node, type: number = TensorType.FLOAT32): number {
    const index = this.tensor({ name: n.output, shape: this.shapeOf(n.output), type });
    this.tensorOf.set(n.output, index);
    return index;
  }

  emitAll(): void {
    for (const input of this.graph.inputs) {
      const index = this.tensor({ name: input.name, shape: input.shape.map((d) => (d === -1 ? 1 : d)), type: input.dtype === 'uint8' ? TensorType.UINT8 : TensorType.FLOAT32 });
      this.tensorOf.set(input.name, index);
      this.inputs.push(index);
    }
    for (const n of this.graph.nodes) this.emit(n);
    for (const o of this.graph.outputs) this.outputs.push({ name: o.name, tensor: this.value(o.value) });
  }

  private emit(n: Node): void {
    const inShape = n.inputs.length ? this.shapeOf(n.inputs[0]) : [];
    const unsupported = (why: string) => new UnsupportedModelError(`node ${n.name} (${n.op}) ${why}`);
    switch (n.op) {
      case 'constant':
        return; // written where read, in the shape the reader needs
      case 'conv2d':
      case 'depthwiseConv2d': {
        const [kh, kw, cin, last] = n.kernelShape;
        const depthwise = n.op === 'depthwiseConv2d';
        const cout = depthwise ? cin * last : last;
        let x = this.value(n.inputs[0]);
        const padding = this.paddingOf(n.padding, inShape, [kh, kw], n.strides, n.dilations);
        if (padding.explicit) x = this.padded(n.name, x, inShape, padding.explicit);
        const w = depthwise
          ? this.kernel(`${n.name}/kernel`, n.kernel, 'depthwise', [1, kh, kw, cout], 3, () => n.kernel)
          : this.kernel(`${n.name}/kernel`, n.kernel, 'ohwi', [cout, kh, kw, cin], 0, () => hwioToOhwi(n.kernel, n.kernelShape));
        const bias = n.bias ? this.floatConst(`${n.name}/bias`, [cout], n.bias) : this.floatConst(`${n.name}/bias`, [cout], new Float32Array(cout));
        const [sh, sw] = n.strides;
        const [dh, dw] = n.dilations;
        const pad = padding.kind;
        const act = Activation[n.activation];
        this.ops.push({
          code: depthwise ? Op.DEPTHWISE_CONV_2D : Op.CONV_2D,
          inputs: [x, w, bias],
          outputs: [this.out(n)],
          options: depthwise
            ? { type: Options.DepthwiseConv2D, write: (b) => table(b, [[0, 'i8', pad], [1, 'i32', sw], [2, 'i32', sh], [3, 'i32', last], [4, 'i8', act], [5, 'i32', dw], [6, 'i32', dh]]) }
            : { type: Options.Conv2D, write: (b) => table(b, [[0, 'i8', pad], [1, 'i32', sw], [2, 'i32', sh], [3, 'i8', act], [4, 'i32', dw], [5, 'i32', dh]]) },
        });
        return;
      }
      case 'add':
      case 'sub':
      case 'mul':
      case 'div': {
        const rank = this.shapeOf(n.output).length;
        const code = { add: Op.ADD, sub: Op.SUB, mul: Op.MUL, div: Op.DIV }[n.op];
        const type = { add: Options.Add, sub: Options.Sub, mul: Options.Mul, div: Options.Div }[n.op];
        this.ops.push({ code, inputs: [this.operand(n.inputs[0], rank), this.operand(n.inputs[1], rank)], outputs: [this.out(n)], options: { type, write: (b) => table(b, [[0, 'i8', 0]]) } });
        return;
      }
      case 'concat':
        this.ops.push({ code: Op.CONCATENATION, inputs: n.inputs.map((i) => this.value(i)), outputs: [this.out(n)], options: { type: Options.Concatenation, write: (b) => table(b, [[0, 'i32', n.axis], [1, 'i8', 0]]) } });
        return;
      case 'pad': {
        const pads = this.intConst(`${n.name}/paddings`, [n.pads.length, 2], n.pads.flat());
        const x = this.value(n.inputs[0]);
        if (n.value === 0) this.ops.push({ code: Op.PAD, inputs: [x, pads], outputs: [this.out(n)] });
        else this.ops.push({ code: Op.PADV2, inputs: [x, pads, this.floatConst(`${n.name}/value`, [], Float32Array.of(n.value))], outputs: [this.out(n)] });
        return;
      }
      case 'spatialMean':
      case 'spatialMax': {
        const axes = this.intConst(`${n.name}/axes`, [2], [1, 2]);
        this.ops.push({ code: n.op === 'spatialMean' ? Op.MEAN : Op.REDUCE_MAX, inputs: [this.value(n.inputs[0]), axes], outputs: [this.out(n)], options: { type: Options.Reducer, write: (b) => table(b, [[0, 'bool', n.keepDims ? 1 : 0]]) } });
        return;
      }
      case 'maxPool':
      case 'avgPool': {
        const padding = this.paddingOf(n.padding, inShape, n.size, n.strides, [1, 1]);
        if (padding.explicit) throw unsupported('has explicit padding, which TFLite pools cannot express');
        const [kh, kw] = n.size;
        const [sh, sw] = n.strides;
        this.ops.push({ code: n.op === 'maxPool' ? Op.MAX_POOL_2D : Op.AVERAGE_POOL_2D, inputs: [this.value(n.inputs[0])], outputs: [this.out(n)], options: { type: Options.Pool2D, write: (b) => table(b, [[0, 'i8', padding.kind], [1, 'i32', sw], [2, 'i32', sh], [3, 'i32', kw], [4, 'i32', kh], [5, 'i8', 0]]) } });
        return;
      }
      case 'reshape':
      case 'flatten': {
        const shape = this.shapeOf(n.output);
        const target = this.intConst(`${n.name}/shape`, [shape.length], shape);
        this.ops.push({ code: Op.RESHAPE, inputs: [this.value(n.inputs[0]), target], outputs: [this.out(n)], options: { type: Options.Reshape, write: (b) => table(b, [[0, 'offset', intVector(b, shape)]]) } });
        return;
      }
      case 'dense': {
        const w = this.kernel(`${n.name}/kernel`, n.kernel, 'out-in', [n.outDim, n.inDim], 0, () => transpose(n.kernel, n.inDim, n.outDim));
        const bias = this.floatConst(`${n.name}/bias`, [n.outDim], n.bias ?? new Float32Array(n.outDim));
        const act = Activation[n.activation];
        this.ops.push({ code: Op.FULLY_CONNECTED, inputs: [this.value(n.inputs[0]), w, bias], outputs: [this.out(n)], options: { type: Options.FullyConnected, write: (b) => table(b, [[0, 'i8', act]]) } });
        return;
      }
      case 'relu':
      case 'relu6':
      case 'sigmoid':
      case 'tanh':
        this.ops.push({ code: { relu: Op.RELU, relu6: Op.RELU6, sigmoid: Op.LOGISTIC, tanh: Op.TANH }[n.op], inputs: [this.value(n.inputs[0])], outputs: [this.out(n)] });
        return;
      case 'softmax':
        this.ops.push({ code: Op.SOFTMAX, inputs: [this.value(n.inputs[0])], outputs: [this.out(n)], options: { type: Options.Softmax, write: (b) => table(b, [[0, 'f32', 1]]) } });
        return;
      case 'clip': {
        const rank = this.shapeOf(n.output).length;
        const ones = new Array(rank).fill(1);
        const low = this.tensor({ name: `${n.output}/low`, shape: this.shapeOf(n.output), type: TensorType.FLOAT32 });
        this.ops.push({ code: Op.MAXIMUM, inputs: [this.value(n.inputs[0]), this.floatConst(`${n.name}/min`, ones, Float32Array.of(n.min))], outputs: [low] });
        this.ops.push({ code: Op.MINIMUM, inputs: [low, this.floatConst(`${n.name}/max`, ones, Float32Array.of(n.max))], outputs: [this.out(n)] });
        return;
      }
      case 'reverseWidth':
        this.ops.push({ code: Op.REVERSE_V2, inputs: [this.value(n.inputs[0]), this.intConst(`${n.name}/axis`, [1], [2])], outputs: [this.out(n)] });
        return;
      case 'cast':
        this.ops.push({ code: Op.CAST, inputs: [this.value(n.inputs[0])], outputs: [this.out(n)] });
        return;
      default:
        throw unsupported('has no TensorFlow Lite counterpart here');
    }
  }

  /** SAME or VALID when the cells match TensorFlow's, else VALID after an explicit PAD. */
  private paddingOf(padding: Padding, inShape: number[], k: [number, number], strides: [number, number], dilations: [number, number]): { kind: number; explicit?: Array<[number, number]> } {
    if (padding === 'same') return { kind: PaddingKind.SAME };
    if (padding === 'valid') return { kind: PaddingKind.VALID };
    const p = resolvePadding(padding, inShape[1], inShape[2], k, strides, dilations);
    const same = resolvePadding('same', inShape[1], inShape[2], k, strides, dilations);
    if (p.top === same.top && p.bottom === same.bottom && p.left === same.left && p.right === same.right) return { kind: PaddingKind.SAME };
    if (!p.top && !p.bottom && !p.left && !p.right) return { kind: PaddingKind.VALID };
    return { kind: PaddingKind.VALID, explicit: [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]] };
  }

  private padded(name: string, x: number, inShape: number[], pads: Array<[number, number]>): number {
    const shape = inShape.map((d, i) => d + pads[i][0] + pads[i][1]);
    const out = this.tensor({ name: `${name}/padded`, shape, type: TensorType.FLOAT32 });
    this.ops.push({ code: Op.PAD, inputs: [x, this.intConst(`${name}/paddings`, [4, 2], pads.flat())], outputs: [out] });
    return out;
  }

  serialise(options: TfliteWriteOptions): Uint8Array {
    const b = new Builder(1 << 20);
    const codes = [...new Set(this.ops.map((o) => o.code))];
    const codeIndex = new Map(codes.map((c, i) => [c, i]));

    // Buffers (data aligned to 16 bytes, as the schema asks).
    const metadata = Object.entries(options.metadata ?? {});
    const metadataBuffers = metadata.map(([, data]) => {
      this.buffers.push(data);
      return this.buffers.length - 1;
    });
    const bufferOffsets = this.buffers.map((data) => {
      const vec = data ? alignedBytes(b, data, 16) : 0;
      b.startObject(1);
      if (vec) b.addFieldOffset(0, vec, 0);
      return b.endObject();
    });

    const tensorOffsets = this.tensors.map((t) => {
      const name = b.createString(t.name);
      const shape = intVector(b, t.shape);
      let quant = 0;
      if (t.quantization) {
        const scale = floatVector(b, t.quantization.scale);
        const zero = longVector(b, t.quantization.zeroPoint);
        b.startObject(7);
        b.addFieldOffset(2, scale, 0);
        b.addFieldOffset(3, zero, 0);
        b.addFieldInt32(6, t.quantization.dimension, 0);
        quant = b.endObject();
      }
      b.startObject(8);
      b.addFieldOffset(0, shape, 0);
      b.addFieldInt8(1, t.type, -1);
      b.addFieldInt32(2, t.buffer, -1);
      b.addFieldOffset(3, name, 0);
      if (quant) b.addFieldOffset(4, quant, 0);
      return b.endObject();
    });

    const opOffsets = this.ops.map((o) => {
      const inputs = intVector(b, o.inputs);
      const outputs = intVector(b, o.outputs);
      const opts = o.options ? o.options.write(b) : 0;
      b.startObject(9);
      b.addFieldInt32(0, codeIndex.get(o.code)!, -1);
      b.addFieldOffset(1, inputs, 0);
      b.addFieldOffset(2, outputs, 0);
      if (o.options) {
        b.addFieldInt8(3, o.options.type, 0);
        b.addFieldOffset(4, opts, 0);
      }
      return b.endObject();
    });

    const subgraphName = b.createString('main');
    const tensors = offsetVector(b, tensorOffsets);
    const sgInputs = intVector(b, this.inputs);
    const sgOutputs = intVector(b, this.outputs.map((o) => o.tensor));
    const operators = offsetVector(b, opOffsets);
    b.startObject(5);
    b.addFieldOffset(0, tensors, 0);
    b.addFieldOffset(1, sgInputs, 0);
    b.addFieldOffset(2, sgOutputs, 0);
    b.addFieldOffset(3, operators, 0);
    b.addFieldOffset(4, subgraphName, 0);
    const subgraph = b.endObject();

    const codeOffsets = codes.map((c) => {
      b.startObject(4);
      b.addFieldInt8(0, Math.min(c, 127), 0);
      b.addFieldInt32(2, 1, 1);
      b.addFieldInt32(3, c, 0);
      return b.endObject();
    });

    // One signature, "serving_default", naming the inputs and outputs as the IR does.
    const tensorMap = (name: string, tensor: number) => {
      const n = b.createString(name);
      b.startObject(2);
      b.addFieldOffset(0, n, 0);
      b.addFieldInt32(1, tensor, 0);
      return b.endObject();
    };
    const sigInputs = offsetVector(b, this.graph.inputs.map((i, k) => tensorMap(i.name, this.inputs[k])));
    const sigOutputs = offsetVector(b, this.outputs.map((o) => tensorMap(o.name, o.tensor)));
    const sigKey = b.createString('serving_default');
    b.startObject(5);
    b.addFieldOffset(0, sigInputs, 0);
    b.addFieldOffset(1, sigOutputs, 0);
    b.addFieldOffset(2, sigKey, 0);
    b.addFieldInt32(4, 0, -1);
    const signature = b.endObject();

    const metadataOffsets = metadata.map(([name], i) => {
      const n = b.createString(name);
      b.startObject(2);
      b.addFieldOffset(0, n, 0);
      b.addFieldInt32(1, metadataBuffers[i], -1);
      return b.endObject();
    });

    const operatorCodes = offsetVector(b, codeOffsets);
    const subgraphs = offsetVector(b, [subgraph]);
    const description = b.createString(options.description ?? 'Graft image classifier');
    const buffers = offsetVector(b, bufferOffsets);
    const metadataVec = metadataOffsets.length ? offsetVector(b, metadataOffsets) : 0;
    const signatures = offsetVector(b, [signature]);
    b.startObject(8);
    b.addFieldInt32(0, TFLITE_SCHEMA_VERSION, -1);
    b.addFieldOffset(1, operatorCodes, 0);
    b.addFieldOffset(2, subgraphs, 0);
    b.addFieldOffset(3, description, 0);
    b.addFieldOffset(4, buffers, 0);
    if (metadataVec) b.addFieldOffset(6, metadataVec, 0);
    b.addFieldOffset(7, signatures, 0);
    const model = b.endObject();
    b.finish(model, 'TFL3');
    return b.asUint8Array().slice();
  }
}

/** The TFLite op names a graph becomes (for reports). */
export function tfliteOpName(code: number): string {
  return OpName[code] ?? String(code);
}

type Field = [number, 'i8' | 'bool' | 'i32' | 'f32', number] | [number, 'offset', Offset];

/** A small options table; fields listed by schema slot. Defaults are written too (force). */
function table(b: Builder, fields: Field[]): Offset {
  const slots = Math.max(...fields.map((f) => f[0])) + 1;
  b.startObject(slots);
  for (const [slot, kind, value] of fields) {
    if (kind === 'i8' || kind === 'bool') b.addFieldInt8(slot, value, -1);
    else if (kind === 'i32') b.addFieldInt32(slot, value, -1);
    else if (kind === 'f32') b.addFieldFloat32(slot, value, -1);
    else b.addFieldOffset(slot, value, 0);
  }
  return b.endObject();
}

function intVector(b: Builder, values: number[]): Offset {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

export function floatVector(b: Builder, values: number[]): Offset {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]);
  return b.endVector();
}

function longVector(b: Builder, values: number[]): Offset {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]));
  return b.endVector();
}

export function offsetVector(b: Builder, offsets: Offset[]): Offset {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** A byte vector whose data starts on an `alignment`-byte boundary. */
function alignedBytes(b: Builder, data: Uint8Array, alignment: number): Offset {
  b.startVector(1, data.length, alignment);
  // Builder writes back to front: claim the bytes, then copy them in at the new head.
  const internal = b as unknown as { space: number; bb: { bytes(): Uint8Array } };
  internal.space -= data.length;
  internal.bb.bytes().set(data, internal.space);
  return b.endVector();
}

function bytesOf(values: Float32Array | Int32Array | Uint16Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

/** HWIO → OHWI. */
function hwioToOhwi(k: Float32Array, [kh, kw, cin, cout]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * kh + y) * kw + x) * cin + i] = k[src + o];
      }
    }
  }
  return out;
}

/** [inDim, outDim] → [outDim, inDim]. */
function transpose(k: Float32Array, inDim: number, outDim: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let i = 0; i < inDim; i++) for (let o = 0; o < outDim; o++) out[o * inDim + i] = k[i * outDim + o];
  return out;
}
