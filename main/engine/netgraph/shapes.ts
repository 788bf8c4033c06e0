/**
 * Static shapes of an IR graph's values (batch = -1), padding arithmetic, and a builder
 * that checks each node's shapes as a front end adds it, so a malformed network fails
 * at the node that is wrong rather than inside a runtime.
 */
import { isConstant, UnsupportedModelError, type ExplicitPadding, type Graph, type GraphInput, type GraphOutput, type Node, type Padding } from './ir';

export type Shape = number[];

/** A node to add: any IR node without its output name (the builder picks a unique one). */
export type NodeSpec = Node extends infer N ? (N extends Node ? Omit<N, 'output'> & { output?: string } : never) : never;

/** TensorFlow's SAME/VALID (or explicit) padding as cells, for an input of h × w. */
export function resolvePadding(padding: Padding, h: number, w: number, k: [number, number], strides: [number, number], dilations: [number, number] = [1, 1]): ExplicitPadding {
  if (padding === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (padding !== 'same') return padding;
  const one = (size: number, kernel: number, stride: number, dilation: number): [number, number] => {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
    const before = Math.floor(total / 2);
    return [before, total - before];
  };
  const [top, bottom] = one(h, k[0], strides[0], dilations[0]);
  const [left, right] = one(w, k[1], strides[1], dilations[1]);
  return { top, bottom, left, right };
}

function windowOut(size: number, kernel: number, stride: number, dilation: number, before: number, after: number): number {
  return Math.floor((size + before + after - (kernel - 1) * dilation - 1) / stride) + 1;
}

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** The output shape of one node given its inputs' shapes; throws on a mismatch. */
export function nodeShape(node: Node, ins: Shape[]): Shape {
  const x = ins[0];
  const fail = (why: string): never => {
    throw new UnsupportedModelError(`${node.name} (${node.op}): ${why}`);
  };
  const need4 = () => {
    if (!x || x.length !== 4) fail(`expects a [n, h, w, c] input, got [${x?.join(', ')}]`);
  };
  switch (node.op) {
    case 'constant':
      if (node.values.length !== product(node.shape)) fail(`${node.values.length} values for shape [${node.shape}]`);
      return [...node.shape];
    case 'conv2d':
    case 'depthwiseConv2d': {
      need4();
      const [kh, kw, cin, last] = node.kernelShape;
      if (x[3] !== cin) fail(`kernel expects ${cin} input channels, input has ${x[3]}`);
      if (node.kernel.length !== product(node.kernelShape)) fail(`kernel holds ${node.kernel.length} values for shape [${node.kernelShape}]`);
      const cout = node.op === 'conv2d' ? last : cin * last;
      if (node.bias && node.bias.length !== cout) fail(`bias has ${node.bias.length} values for ${cout} channels`);
      const p = resolvePadding(node.padding, x[1], x[2], [kh, kw], node.strides, node.dilations);
      const oh = windowOut(x[1], kh, node.strides[0], node.dilations[0], p.top, p.bottom);
      const ow = windowOut(x[2], kw, node.strides[1], node.dilations[1], p.left, p.right);
      if (oh < 1 || ow < 1) fail(`the ${x[1]}×${x[2]} input is too small for a ${kh}×${kw} window`);
      return [x[0], oh, ow, cout];
    }
    case 'add':
    case 'sub':
    case 'mul':
    case 'div': {
      const [a, b] = ins;
      const rank = Math.max(a.length, b.length);
      const pa = [...Array(rank - a.length).fill(1), ...a];
      const pb = [...Array(rank - b.length).fill(1), ...b];
      return pa.map((d, i) => {
        const e = pb[i];
        if (d === e || e === 1) return d;
        if (d === 1) return e;
        return fail(`cannot broadcast [${a}] with [${b}]`);
      });
    }
    case 'concat': {
      const axis = node.axis;
      if (axis < 1 || axis >= x.length) fail(`axis ${axis} is not a non-batch axis of a rank-${x.length} value`);
      let total = 0;
      for (const s of ins) {
        if (s.length !== x.length || s.some((d, i) => i !== axis && d !== x[i])) fail(`inputs [${ins.map((v) => `[${v}]`).join(', ')}] do not match outside axis ${axis}`);
        total += s[axis];
      }
      const out = [...x];
      out[axis] = total;
      return out;
    }
    case 'pad':
      if (node.pads.length !== x.length || node.pads[0][0] !== 0 || node.pads[0][1] !== 0) fail('pads must name every axis and leave the batch alone');
      return x.map((d, i) => (i === 0 ? d : d + node.pads[i][0] + node.pads[i][1]));
    case 'spatialMean':
    case 'spatialMax':
      need4();
      return node.keepDims ? [x[0], 1, 1, x[3]] : [x[0], x[3]];
    case 'maxPool':
    case 'avgPool': {
      need4();
      const p = resolvePadding(node.padding, x[1], x[2], node.size, node.strides);
      return [x[0], windowOut(x[1], node.size[0], node.strides[0], 1, p.top, p.bottom), windowOut(x[2], node.size[1], node.strides[1], 1, p.left, p.right), x[3]];
    }
    case 'reshape':
      if (node.shape.some((d) => !(d > 0))) fail(`target shape [${node.shape}] must be fully known`);
      if (product(node.shape) !== product(x.slice(1))) fail(`cannot reshape [${x}] to [-1, ${node.shape}]`);
      return [x[0], ...node.shape];
    case 'flatten':
      return [x[0], product(x.slice(1))];
    case 'dense':
      if (x.length !== 2) fail(`expects [n, features], got [${x}]`);
      if (x[1] !== node.inDim) fail(`expects ${node.inDim} features, input has ${x[1]}`);
      if (node.kernel.length !== node.inDim * node.outDim) fail(`kernel holds ${node.kernel.length} values for ${node.inDim}×${node.outDim}`);
      if (node.bias && node.bias.length !== node.outDim) fail(`bias has ${node.bias.length} values for ${node.outDim} outputs`);
      return [x[0], node.outDim];
    case 'reverseWidth':
      need4();
      return [...x];
    case 'relu':
    case 'relu6':
    case 'clip':
    case 'sigmoid':
    case 'tanh':
    case 'sqrt':
    case 'softmax':
    case 'cast':
      return [...x];
  }
}

/** Shapes of every value in a graph. */
export function inferShapes(graph: Graph): Map<string, Shape> {
  const shapes = new Map<string, Shape>(graph.inputs.map((i) => [i.name, [...i.shape]]));
  for (const n of graph.nodes) shapes.set(n.output, nodeShape(n, n.inputs.map((i) => shapes.get(i)!)));
  return shapes;
}

/**
 * Builds a graph node by node, naming values uniquely and knowing every shape so far.
 * Front ends use it so that target shapes with -1 and padding can be resolved as they go.
 */
export class GraphBuilder {
  readonly inputs: GraphInput[] = [];
  readonly nodes: Node[] = [];
  readonly outputs: GraphOutput[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly byOutput = new Map<string, Node>();
  private readonly used = new Set<string>();

  /** A value name not used yet, based on `base`. */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: GraphInput['dtype'], shape: Shape): string {
    const value = this.fresh(name);
    if (value !== name) throw new Error(`IR: input name ${name} is taken`);
    this.inputs.push({ name, dtype, shape: [...shape] });
    this.shapes.set(name, [...shape]);
    return name;
  }

  /** Adds a node (its `output` is replaced by a fresh name based on it); returns the value name. */
  add(node: NodeSpec): string {
    const output = this.fresh(node.output ?? node.name);
    const full = { ...node, output } as unknown as Node;
    const ins = full.inputs.map((i) => {
      const s = this.shapes.get(i);
      if (!s) throw new Error(`IR: ${full.name} reads ${i}, which is not defined yet`);
      return s;
    });
    this.shapes.set(output, nodeShape(full, ins));
    this.nodes.push(full);
    this.byOutput.set(output, full);
    return output;
  }

  constant(name: string, values: Float32Array, shape: number[]): string {
    return this.add({ op: 'constant', name, inputs: [], shape, values });
  }

  shape(value: string): Shape {
    const s = this.shapes.get(value);
    if (!s) throw new Error(`IR: no value ${value}`);
    return s;
  }

  producer(value: string): Node | undefined {
    return this.byOutput.get(value);
  }

  constantValues(value: string): Float32Array | null {
    const p = this.byOutput.get(value);
    return isConstant(p) ? p.values : null;
  }

  /**
   * Copies `graph`'s nodes in (weight arrays shared, value names made unique with
   * `prefix`), reading `inputs[name]` for each of its inputs; returns its outputs' values.
   */
  inline(graph: Graph, inputs: Record<string, string>, prefix: string): Record<string, string> {
    const map = new Map<string, string>();
    for (const i of graph.inputs) {
      const v = inputs[i.name];
      if (!v) throw new Error(`IR: no value given for the inlined graph's input ${i.name}`);
      map.set(i.name, v);
    }
    for (const n of graph.nodes) {
      map.set(n.output, this.add({ ...n, name: `${prefix}${n.name}`, inputs: n.inputs.map((i) => map.get(i)!), output: `${prefix}${n.output}` }));
    }
    return Object.fromEntries(graph.outputs.map((o) => [o.name, map.get(o.value)!]));
  }

  output(name: string, value: string): void {
    this.outputs.push({ name, value });
  }

  /** The graph so far (shares nodes with the builder). */
  graph(): Graph {
    return { inputs: this.inputs, nodes: this.nodes, outputs: this.outputs };
  }
}
