/**
 * Writes an IR graph (`../netgraph/ir.ts`) as an ONNX model (a serialised `ModelProto`,
 * onnx/onnx.proto), with the project's own protobuf writer.
 *
 * Versions: IR version 7 with the default-domain opset 13 (ONNX 1.8, 2020). Opset 13 is
 * the oldest that has everything written here in its final form — Softmax over one axis
 * (before 13 it flattened every axis from `axis` on), Clip bounds as inputs (11), Pad
 * amounts as an input (11), Slice with negative steps (10) — and it is read by every
 * ONNX Runtime since 1.6, OpenVINO, TensorRT 8, onnx2tf and Core ML's converter, so an
 * exported file opens nearly everywhere. IR 7 is the IR that ONNX 1.8 pairs with opset
 * 13; initializers are not listed as graph inputs (allowed since IR 4), which lets
 * runtimes constant-fold them.
 *
 * Layout: ONNX convolutions and pools are NCHW, so every rank-4 value is kept NCHW
 * inside the model. The image input stays NHWC (what Graft's preprocessing produces,
 * and what other callers pass) and one Transpose follows it — as fast as feeding NCHW
 * (measured, see session-pool.ts `defaultLayout`), so callers need not transpose; rank-4 outputs are
 * transposed back to NHWC. Weights are rearranged once here: conv kernels HWIO → OIHW,
 * depthwise kernels [kh,kw,c,m] → [c·m,1,kh,kw] with group = c, per-channel constants
 * [C] → [1,C,1,1]. A reshape or flatten of a rank-4 value transposes to NHWC first,
 * unless the two layouts hold the same bytes (h·w = 1 or c = 1).
 */
import { appVersion } from '../export/app-version';
import { ProtoWriter, WireType } from '../export/protobuf-writer';
import { isConstant, producers, validateGraph, type ConstantNode, type Graph, type Node } from '../netgraph/ir';
import { inferShapes, resolvePadding, type Shape } from '../netgraph/shapes';

export const ONNX_IR_VERSION = 7;
export const ONNX_OPSET = 13;

const FLOAT = 1;
const UINT8 = 2;
const INT64 = 7;

const ATTR_INT = 2;
const ATTR_INTS = 7;

export interface OnnxWriteOptions {
  /** "nhwc" (default): images as `[n, h, w, c]`; "nchw": `[n, c, h, w]`, for callers whose data is already so (no faster: session-pool.ts). */
  inputLayout?: 'nhwc' | 'nchw';
  /** Written into the model's doc_string. */
  docString?: string;
  /** metadata_props key → value. */
  metadata?: Record<string, string>;
  graphName?: string;
}

type Attr = { name: string; int?: number | bigint; ints?: Array<number | bigint> };

interface OnnxNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Attr[];
}

interface Initializer {
  name: string;
  dims: number[];
  type: typeof FLOAT | typeof INT64;
  floats?: Float32Array;
  ints?: Array<number | bigint>;
}

const INT64_MIN_PLUS_ONE = -(2n ** 63n) + 1n;

/** The ONNX bytes of an IR graph. */
export function writeOnnx(graph: Graph, options: OnnxWriteOptions = {}): Uint8Array {
  validateGraph(graph);
  const e = new Emitter(graph, options);
  e.emitAll();
  return e.serialise();
}

class Emitter {
  private readonly shapes: Map<string, Shape>;
  private readonly byOutput: Map<string, Node>;
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: Initializer[] = [];
  /** The ONNX tensor holding each IR value (rank-4 values NCHW). */
  private readonly tensorOf = new Map<string, string>();
  /** One initializer per weight array (shared arrays are stored once) and layout. */
  private readonly weightNames = new Map<Float32Array, Map<string, string>>();
  private readonly scalarNames = new Map<string, string>();
  private readonly usedNames = new Set<string>();
  private readonly publicName = new Map<string, string>();

  constructor(
    private readonly graph: Graph,
    private readonly options: OnnxWriteOptions,
  ) {
    this.shapes = inferShapes(graph);
    this.byOutput = producers(graph);
    for (const i of graph.inputs) this.usedNames.add(i.name);
    for (const o of graph.outputs) this.usedNames.add(o.name);
    for (const o of graph.outputs) {
      const rank = this.shapes.get(o.value)!.length;
      if (!this.publicName.has(o.value) && rank !== 4 && !graph.inputs.some((i) => i.name === o.value)) this.publicName.set(o.value, o.name);
    }
  }

  private fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_');
    let name = clean;
    for (let i = 1; this.usedNames.has(name); i++) name = `${clean}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  private node(op: string, name: string, inputs: string[], outputs: string[], attrs: Attr[] = []): void {
    this.nodes.push({ op, name: this.fresh(`${name}/${op}`), inputs, outputs, attrs });
  }

  private floatInit(base: string, dims: number[], values: Float32Array, key?: { array: Float32Array; layout: string }): string {
    if (key) {
      const known = this.weightNames.get(key.array)?.get(key.layout);
      if (known) return known;
    }
    const name = this.fresh(base);
    this.initializers.push({ name, dims, type: FLOAT, floats: values });
    if (key) {
      if (!this.weightNames.has(key.array)) this.weightNames.set(key.array, new Map());
      this.weightNames.get(key.array)!.set(key.layout, name);
    }
    return name;
  }

  private scalar(value: number): string {
    const key = String(value);
    const known = this.scalarNames.get(key);
    if (known) return known;
    const name = this.fresh(`const_${key.replace(/[^0-9a-z]/gi, '_')}`);
    this.initializers.push({ name, dims: [], type: FLOAT, floats: Float32Array.of(value) });
    this.scalarNames.set(key, name);
    return name;
  }

  private int64s(base: string, values: Array<number | bigint>): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [values.length], type: INT64, ints: values });
    return name;
  }

  /** The tensor name an IR value's node should write. */
  private outName(value: string): string {
    const name = this.publicName.get(value) ?? this.fresh(value);
    this.tensorOf.set(value, name);
    return name;
  }

  private input(value: string): string {
    const t = this.tensorOf.get(value);
    if (!t) throw new Error(`ONNX writer: value ${value} has no tensor (a constant read by an op that takes none?)`);
    return t;
  }

  emitAll(): void {
    const layout = this.options.inputLayout ?? 'nhwc';
    for (const input of this.graph.inputs) {
      if (input.shape.length === 4 && layout === 'nhwc') {
        const t = this.fresh(`${input.name}_nchw`);
        this.node('Transpose', input.name, [input.name], [t], [{ name: 'perm', ints: [0, 3, 1, 2] }]);
        this.tensorOf.set(input.name, t);
      } else {
        this.tensorOf.set(input.name, input.name);
      }
    }
    for (const n of this.graph.nodes) this.emit(n);
    for (const o of this.graph.outputs) {
      const t = this.input(o.value);
      if (t === o.name) continue;
      if (this.shapes.get(o.value)!.length === 4) this.node('Transpose', o.name, [t], [o.name], [{ name: 'perm', ints: [0, 2, 3, 1] }]);
      else this.node('Identity', o.name, [t], [o.name]);
    }
  }

  private emit(n: Node): void {
    const shape = this.shapes.get(n.output)!;
    const inShape = n.inputs.length ? this.shapes.get(n.inputs[0])! : [];
    switch (n.op) {
      case 'constant':
        return; // written where read, in the layout the reader needs
      case 'conv2d':
      case 'depthwiseConv2d': {
        const [kh, kw, cin, last] = n.kernelShape;
        const depthwise = n.op === 'depthwiseConv2d';
        const cout = depthwise ? cin * last : last;
        const w = this.floatInit(`${n.name}/W`, depthwise ? [cout, 1, kh, kw] : [cout, cin, kh, kw], depthwise ? depthwiseToOihw(n.kernel, n.kernelShape) : hwioToOihw(n.kernel, n.kernelShape), {
          array: n.kernel,
          layout: 'oihw',
        });
        const inputs = [this.input(n.inputs[0]), w];
        if (n.bias) inputs.push(this.floatInit(`${n.name}/B`, [cout], n.bias, { array: n.bias, layout: 'plain' }));
        const p = resolvePadding(n.padding, inShape[1], inShape[2], [kh, kw], n.strides, n.dilations);
        const attrs: Attr[] = [
          { name: 'kernel_shape', ints: [kh, kw] },
          { name: 'strides', ints: n.strides },
          { name: 'dilations', ints: n.dilations },
          { name: 'pads', ints: [p.top, p.left, p.bottom, p.right] },
          { name: 'group', int: depthwise ? cin : 1 },
        ];
        this.withActivation(n, 'Conv', inputs, attrs, n.activation);
        return;
      }
      case 'dense': {
        const inputs = [this.input(n.inputs[0]), this.floatInit(`${n.name}/W`, [n.inDim, n.outDim], n.kernel, { array: n.kernel, layout: 'plain' })];
        if (n.bias) inputs.push(this.floatInit(`${n.name}/B`, [n.outDim], n.bias, { array: n.bias, layout: 'plain' }));
        this.withActivation(n, 'Gemm', inputs, [], n.activation);
        return;
      }
      case 'add':
      case 'sub':
      case 'mul':
      case 'div': {
        const op = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div' }[n.op];
        const [a, b] = n.inputs;
        const rank = shape.length;
        const operand = (v: string): string => {
          const p = this.byOutput.get(v);
          return isConstant(p) ? this.constantFor(p, rank) : this.input(v);
        };
        this.node(op, n.name, [operand(a), operand(b)], [this.outName(n.output)]);
        return;
      }
      case 'concat': {
        const axis = shape.length === 4 ? [0, 2, 3, 1][n.axis] : n.axis;
        this.node('Concat', n.name, n.inputs.map((i) => this.input(i)), [this.outName(n.output)], [{ name: 'axis', int: axis }]);
        return;
      }
      case 'pad': {
        const order = inShape.length === 4 ? [0, 3, 1, 2] : inShape.map((_, i) => i);
        const pads = [...order.map((d) => n.pads[d][0]), ...order.map((d) => n.pads[d][1])];
        this.node('Pad', n.name, [this.input(n.inputs[0]), this.int64s(`${n.name}/pads`, pads), this.scalar(n.value)], [this.outName(n.output)], []);
        return;
      }
      case 'spatialMean':
      case 'spatialMax': {
        const op = n.op === 'spatialMean' ? 'GlobalAveragePool' : 'GlobalMaxPool';
        if (n.keepDims) {
          this.node(op, n.name, [this.input(n.inputs[0])], [this.outName(n.output)]);
        } else {
          const pooled = this.fresh(`${n.output}_pooled`);
          this.node(op, n.name, [this.input(n.inputs[0])], [pooled]);
          this.node('Flatten', n.name, [pooled], [this.outName(n.output)], [{ name: 'axis', int: 1 }]);
        }
        return;
      }
      case 'maxPool':
      case 'avgPool': {
        const p = resolvePadding(n.padding, inShape[1], inShape[2], n.size, n.strides);
        const attrs: Attr[] = [
          { name: 'kernel_shape', ints: n.size },
          { name: 'strides', ints: n.strides },
          { name: 'pads', ints: [p.top, p.left, p.bottom, p.right] },
        ];
        if (n.op === 'avgPool') attrs.push({ name: 'count_include_pad', int: 0 });
        this.node(n.op === 'maxPool' ? 'MaxPool' : 'AveragePool', n.name, [this.input(n.inputs[0])], [this.outName(n.output)], attrs);
        return;
      }
      case 'reshape':
      case 'flatten': {
        const target = n.op === 'reshape' ? n.shape : [shape[1]];
        let x = this.input(n.inputs[0]);
        if (inShape.length === 4 && !sameBytes(inShape)) {
          const t = this.fresh(`${n.output}_nhwc`);
          this.node('Transpose', n.name, [x], [t], [{ name: 'perm', ints: [0, 2, 3, 1] }]);
          x = t;
        }
        if (shape.length === 4 && !sameBytes(shape)) {
          const t = this.fresh(`${n.output}_nhwc`);
          this.node('Reshape', n.name, [x, this.int64s(`${n.name}/shape`, [-1, ...target])], [t]);
          this.node('Transpose', n.name, [t], [this.outName(n.output)], [{ name: 'perm', ints: [0, 3, 1, 2] }]);
        } else {
          const dims = shape.length === 4 ? [-1, shape[3], shape[1], shape[2]] : [-1, ...target];
          this.node('Reshape', n.name, [x, this.int64s(`${n.name}/shape`, dims)], [this.outName(n.output)]);
        }
        return;
      }
      case 'relu':
        this.node('Relu', n.name, [this.input(n.inputs[0])], [this.outName(n.output)]);
        return;
      case 'relu6':
        this.node('Clip', n.name, [this.input(n.inputs[0]), this.scalar(0), this.scalar(6)], [this.outName(n.output)]);
        return;
      case 'clip':
        this.node('Clip', n.name, [this.input(n.inputs[0]), this.scalar(n.min), this.scalar(n.max)], [this.outName(n.output)]);
        return;
      case 'sigmoid':
        this.node('Sigmoid', n.name, [this.input(n.inputs[0])], [this.outName(n.output)]);
        return;
      case 'tanh':
        this.node('Tanh', n.name, [this.input(n.inputs[0])], [this.outName(n.output)]);
        return;
      case 'sqrt':
        this.node('Sqrt', n.name, [this.input(n.inputs[0])], [this.outName(n.output)]);
        return;
      case 'softmax':
        this.node('Softmax', n.name, [this.input(n.inputs[0])], [this.outName(n.output)], [{ name: 'axis', int: shape.length === 4 ? 1 : shape.length - 1 }]);
        return;
      case 'reverseWidth':
        this.node(
          'Slice',
          n.name,
          [this.input(n.inputs[0]), this.int64s(`${n.name}/starts`, [-1]), this.int64s(`${n.name}/ends`, [INT64_MIN_PLUS_ONE]), this.int64s(`${n.name}/axes`, [3]), this.int64s(`${n.name}/steps`, [-1])],
          [this.outName(n.output)],
        );
        return;
      case 'cast':
        this.node('Cast', n.name, [this.input(n.inputs[0])], [this.outName(n.output)], [{ name: 'to', int: FLOAT }]);
        return;
    }
  }

  private withActivation(n: Node, op: string, inputs: string[], attrs: Attr[], activation: 'linear' | 'relu' | 'relu6'): void {
    if (activation === 'linear') {
      this.node(op, n.name, inputs, [this.outName(n.output)], attrs);
      return;
    }
    const pre = this.fresh(`${n.output}_pre`);
    this.node(op, n.name, inputs, [pre], attrs);
    if (activation === 'relu') this.node('Relu', n.name, [pre], [this.outName(n.output)]);
    else this.node('Clip', n.name, [pre, this.scalar(0), this.scalar(6)], [this.outName(n.output)]);
  }

  /** A constant operand of an elementwise op whose result has `rank`: NHWC right-aligned → the stored layout. */
  private constantFor(c: ConstantNode, rank: number): string {
    if (c.values.length === 1) return this.scalar(c.values[0]);
    if (rank !== 4) return this.floatInit(c.name, c.shape, c.values, { array: c.values, layout: `r${rank}` });
    const [a, h, w, ch] = [...Array(4 - c.shape.length).fill(1), ...c.shape] as number[];
    const out = new Float32Array(c.values.length);
    for (let i = 0; i < a; i++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < ch; k++) out[((i * ch + k) * h + y) * w + x] = c.values[((i * h + y) * w + x) * ch + k];
    return this.floatInit(c.name, [a, ch, h, w], out, { array: c.values, layout: 'nchw' });
  }

  serialise(): Uint8Array {
    const layout = this.options.inputLayout ?? 'nhwc';
    const model = new ProtoWriter();
    model.tag(1, WireType.VARINT).varint(ONNX_IR_VERSION);
    model.string(2, 'graft');
    model.string(3, appVersion());
    if (this.options.docString) model.string(6, this.options.docString);
    model.message(7, (g) => {
      for (const n of this.nodes) g.message(1, (w) => writeNode(w, n));
      g.string(2, this.options.graphName ?? 'graft');
      for (const init of this.initializers) g.message(5, (w) => writeTensor(w, init));
      for (const input of this.graph.inputs) {
        const dims = input.shape.length === 4 && layout === 'nchw' ? [input.shape[0], input.shape[3], input.shape[1], input.shape[2]] : input.shape;
        g.message(11, (w) => writeValueInfo(w, input.name, input.dtype === 'uint8' ? UINT8 : FLOAT, dims));
      }
      for (const o of this.graph.outputs) g.message(12, (w) => writeValueInfo(w, o.name, FLOAT, this.shapes.get(o.value)!));
    });
    model.message(8, (w) => w.string(1, '').tag(2, WireType.VARINT).varint(ONNX_OPSET));
    for (const [key, value] of Object.entries(this.options.metadata ?? {})) model.message(14, (w) => w.string(1, key).string(2, value));
    return model.finish();
  }
}

/** NCHW and NHWC order the same bytes when the spatial map is 1×1 or there is one channel. */
function sameBytes(shape: Shape): boolean {
  return shape[1] * shape[2] === 1 || shape[3] === 1;
}

function hwioToOihw(k: Float32Array, [kh, kw, cin, cout]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = k[((y * kw + x) * cin + i) * cout + o];
  return out;
}

function depthwiseToOihw(k: Float32Array, [kh, kw, cin, m]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < cin; c++)
        for (let j = 0; j < m; j++) out[((c * m + j) * kh + y) * kw + x] = k[((y * kw + x) * cin + c) * m + j];
  return out;
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const a of n.attrs) {
    w.message(5, (aw) => {
      aw.string(1, a.name);
      if (a.ints) aw.packedInt64s(8, a.ints).tag(20, WireType.VARINT).varint(ATTR_INTS);
      else aw.tag(3, WireType.VARINT).varint(a.int!).tag(20, WireType.VARINT).varint(ATTR_INT);
    });
  }
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  if (t.dims.length) w.packedInt64s(1, t.dims);
  w.tag(2, WireType.VARINT).varint(t.type);
  w.string(8, t.name);
  if (t.type === FLOAT) w.bytes(9, littleEndianFloats(t.floats!));
  else w.packedInt64s(7, t.ints!);
}

function writeValueInfo(w: ProtoWriter, name: string, elemType: number, dims: readonly number[]): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.tag(1, WireType.VARINT).varint(elemType);
      tensor.message(2, (shape) => {
        for (const d of dims) shape.message(1, (dim) => (d >= 0 ? dim.tag(1, WireType.VARINT).varint(d) : dim.string(2, 'batch')));
      });
    }),
  );
}

function littleEndianFloats(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}
