/**
 * A format-neutral inference graph: what Graft compiles its frozen networks (and whole
 * classifiers) into before an emitter writes them for a runtime — ONNX today
 * (`../onnx/onnx-writer.ts`), TensorFlow Lite next. Front ends: `layers-frontend.ts`
 * (Keras-style TF.js layers models), `graph-frontend.ts` (TF.js graph models),
 * `classifier.ts` (image → backbones → trained head). `optimise.ts` folds batch norm,
 * biases, zero padding and activations into convolutions, so front ends may emit the
 * plain sequence and emitters see the fused one.
 *
 * ## Values
 * Every value is a float32 tensor (except a graph input declared `uint8`, which only a
 * `cast` may read) named by a unique string. Shapes follow TensorFlow's NHWC semantics:
 * an image batch is `[n, height, width, channels]`, a batch of vectors `[n, features]`.
 * Dimension 0 is always the batch: free (`-1` in shapes) and never touched by an op —
 * no op reshapes, reduces, pads, concatenates or mirrors along it. Every other dimension
 * is static; `shapes.ts` infers them. Emitters may store values in another layout (the
 * ONNX emitter keeps rank-4 values NCHW) as long as results are the same.
 *
 * ## Graph
 * `inputs` (name, dtype, NHWC shape with -1 batch) · `nodes` in topological order, each
 * writing exactly one new value `output` from the values named in `inputs` · `outputs`,
 * each exposing one value under a public name. Weights live inside the nodes that use
 * them as Float32Arrays; the same array object may appear in several nodes (a backbone
 * run on two views), and emitters should store it once.
 *
 * ## Ops (inputs in order; x = the first input)
 * - `constant` — no inputs; a tensor of `shape` (no batch dimension, as written) holding
 *   `values` row-major. Only the binary ops read constants, broadcasting them (see there);
 *   a constant is never a graph output.
 * - `conv2d` — x `[n,h,w,cin]` → `[n,oh,ow,cout]`. `kernel` is TensorFlow's HWIO layout:
 *   `kernelShape = [kh, kw, cin, cout]`, row-major, element (y, x, i, o) at
 *   `((y·kw + x)·cin + i)·cout + o`. `bias` has `cout` values or is null. `strides` and
 *   `dilations` are `[vertical, horizontal]`. `padding` (see Padding). Cross-correlation,
 *   as in TensorFlow: out(y,x,o) = Σ in(y·sh + ky·dh − top, x·sw + kx·dw − left, i) ·
 *   k(ky,kx,i,o) + bias(o), zero outside the input; then `activation`.
 * - `depthwiseConv2d` — x `[n,h,w,cin]` → `[n,oh,ow,cin·m]`; `kernelShape =
 *   [kh, kw, cin, m]` (TensorFlow's depthwise layout): output channel c·m + j convolves
 *   input channel c with kernel (·,·,c,j). `bias` has cin·m values or is null. Otherwise
 *   as conv2d.
 * - `add`, `sub`, `mul`, `div` — two inputs, elementwise with NumPy broadcasting aligned
 *   on the LAST axis (NHWC semantics: a `[C]` operand scales channels). Both operands
 *   have the same rank, or one of them is a `constant` of lower rank (its shape is
 *   right-aligned and padded with leading 1s). `sub` is x − y, `div` x / y.
 * - `concat` — two or more inputs of equal rank, joined along `axis` (NHWC numbering,
 *   1 … rank−1; never 0).
 * - `pad` — x padded with `value` by `pads[d] = [before, after]` per dimension
 *   (`pads[0]` is always [0, 0]).
 * - `spatialMean`, `spatialMax` — x `[n,h,w,c]` → `[n,c]` (or `[n,1,1,c]` with
 *   `keepDims`): mean / maximum over height and width.
 * - `maxPool`, `avgPool` — x `[n,h,w,c]`, window `size = [kh, kw]`, `strides`, `padding`
 *   as for conv2d. `avgPool` divides by the number of cells inside the input (padding
 *   cells are not counted, as in TensorFlow); `maxPool` ignores padding cells.
 * - `reshape` — x `[n, …]` → `[n, ...shape]` (`shape` excludes the batch, has no −1),
 *   reinterpreting elements in NHWC row-major order.
 * - `flatten` — x `[n, …]` → `[n, product]`, NHWC row-major order.
 * - `dense` — x `[n, inDim]` (rank 2 only) → x · kernel + bias, `kernel` row-major
 *   `[inDim, outDim]` (element (i, o) at i·outDim + o), `bias` outDim values or null;
 *   then `activation`.
 * - `relu` max(x, 0) · `relu6` min(max(x, 0), 6) · `clip` min(max(x, min), max) ·
 *   `sigmoid` 1/(1+e^−x) · `tanh` · `softmax` over the last axis.
 * - `reverseWidth` — x `[n,h,w,c]` mirrored left↔right: out(y, x) = in(y, w−1−x). The
 *   'flip' view of an image.
 * - `cast` — a `uint8` graph input → float32 with the same values (0…255).
 *
 * ## Padding (conv2d, depthwiseConv2d, pools)
 * `'valid'`: none. `'same'`: TensorFlow's SAME — output size ⌈in / stride⌉, total
 * padding max((out − 1)·stride + (k − 1)·dilation + 1 − in, 0) split with the odd cell
 * at the bottom/right. Or explicit `{ top, bottom, left, right }` cells of zeros.
 * `shapes.ts#resolvePadding` turns any of them into explicit cells for an input size.
 *
 * ## Activations fused into conv2d, depthwiseConv2d and dense
 * `'linear'` (none), `'relu'`, `'relu6'`.
 */

export type Activation = 'linear' | 'relu' | 'relu6';

export interface ExplicitPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export type Padding = 'same' | 'valid' | ExplicitPadding;

export type InputDType = 'float32' | 'uint8';

export interface GraphInput {
  name: string;
  dtype: InputDType;
  /** NHWC with -1 for the batch, e.g. [-1, 224, 224, 3]. */
  shape: number[];
}

export interface GraphOutput {
  /** The public name callers use (e.g. "features"). */
  name: string;
  /** The value it exposes. */
  value: string;
}

interface NodeBase {
  /** For messages and emitted node names; need not be unique. */
  name: string;
  inputs: string[];
  output: string;
}

export interface ConstantNode extends NodeBase {
  op: 'constant';
  shape: number[];
  values: Float32Array;
}

export interface ConvNode extends NodeBase {
  op: 'conv2d' | 'depthwiseConv2d';
  kernel: Float32Array;
  /** conv2d: [kh, kw, cin, cout]; depthwiseConv2d: [kh, kw, cin, multiplier]. */
  kernelShape: [number, number, number, number];
  bias: Float32Array | null;
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  activation: Activation;
}

export interface BinaryNode extends NodeBase {
  op: 'add' | 'sub' | 'mul' | 'div';
}

export interface ConcatNode extends NodeBase {
  op: 'concat';
  axis: number;
}

export interface PadNode extends NodeBase {
  op: 'pad';
  pads: Array<[number, number]>;
  value: number;
}

export interface SpatialReduceNode extends NodeBase {
  op: 'spatialMean' | 'spatialMax';
  keepDims: boolean;
}

export interface PoolNode extends NodeBase {
  op: 'maxPool' | 'avgPool';
  size: [number, number];
  strides: [number, number];
  padding: Padding;
}

export interface ReshapeNode extends NodeBase {
  op: 'reshape';
  /** Without the batch dimension; no -1. */
  shape: number[];
}

export interface DenseNode extends NodeBase {
  op: 'dense';
  inDim: number;
  outDim: number;
  kernel: Float32Array;
  bias: Float32Array | null;
  activation: Activation;
}

export interface ClipNode extends NodeBase {
  op: 'clip';
  min: number;
  max: number;
}

export interface UnaryNode extends NodeBase {
  op: 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'sqrt' | 'softmax' | 'flatten' | 'reverseWidth' | 'cast';
}

export type Node = ConstantNode | ConvNode | BinaryNode | ConcatNode | PadNode | SpatialReduceNode | PoolNode | ReshapeNode | DenseNode | ClipNode | UnaryNode;

export type OpName = Node['op'];

export interface Graph {
  inputs: GraphInput[];
  nodes: Node[];
  outputs: GraphOutput[];
}

/**
 * A network the compiler cannot express: the message names the layer or node and its
 * kind, for `graft doctor` and `graft backbones inspect` to show.
 */
export class UnsupportedModelError extends Error {
  override name = 'UnsupportedModelError';
}

export function isConstant(node: Node | undefined): node is ConstantNode {
  return node?.op === 'constant';
}

/** The node writing each value. */
export function producers(graph: Graph): Map<string, Node> {
  return new Map(graph.nodes.map((n) => [n.output, n]));
}

/** The nodes reading each value. */
export function consumers(graph: Graph): Map<string, Node[]> {
  const out = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      const list = out.get(i);
      if (list) list.push(n);
      else out.set(i, [n]);
    }
  }
  return out;
}

/** Every value name used in a graph once at most as an output, inputs defined before use. */
export function validateGraph(graph: Graph): void {
  const defined = new Set(graph.inputs.map((i) => i.name));
  for (const n of graph.nodes) {
    for (const i of n.inputs) if (!defined.has(i)) throw new Error(`IR: node ${n.name} (${n.op}) reads ${i} before it is defined`);
    if (defined.has(n.output)) throw new Error(`IR: value ${n.output} is written twice`);
    defined.add(n.output);
  }
  for (const o of graph.outputs) if (!defined.has(o.value)) throw new Error(`IR: output ${o.name} names an undefined value ${o.value}`);
}
