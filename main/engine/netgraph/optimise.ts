/**
 * Rewrites that make an IR graph cheaper without changing its results beyond float
 * rounding (the same folding `main/engine/tf/fold.ts` does for TF.js, on the IR so that every
 * front end and every emitter gets it):
 *
 * - a convolution (or dense layer) followed by per-channel `mul`/`div`/`add`/`sub` with a
 *   constant — batch norm as the front ends write it, x·γ/√(σ²+ε) + (β − μ·γ/√(σ²+ε)),
 *   a TF graph's BiasAdd, a folded batch norm's Mul/Add pair — takes them into its
 *   kernel and bias: (W·x + b)·s + t = (W·s)·x + (b·s + t);
 * - then a following relu / relu6 (or clip to [0, 6] or [0, ∞)) becomes its activation;
 * - a zero `pad` of height and width feeding only a convolution becomes that
 *   convolution's explicit padding;
 * - nodes no output depends on are dropped.
 *
 * A value that is a graph output, or read by more than one node, is never folded away.
 * Weight arrays are never modified in place (they may be shared); folding makes new ones.
 */
import { consumers, isConstant, producers, type Activation, type ConvNode, type DenseNode, type Graph, type Node } from './ir';
import { inferShapes, resolvePadding } from './shapes';

export interface OptimiseReport {
  /** Batch-norm / bias / scale nodes taken into a convolution or dense kernel. */
  foldedAffine: number;
  /** Activations fused into the op before them. */
  fusedActivations: number;
  /** Zero pads taken into a convolution's padding. */
  foldedPads: number;
}

export function optimise(graph: Graph): { graph: Graph; report: OptimiseReport } {
  const report: OptimiseReport = { foldedAffine: 0, fusedActivations: 0, foldedPads: 0 };
  let g = removeDead(graph);
  g = foldPads(g, report);
  g = fuseIntoKernels(g, report);
  return { graph: removeDead(g), report };
}

/** Keeps only the nodes the outputs depend on (order preserved). */
export function removeDead(graph: Graph): Graph {
  const byOutput = producers(graph);
  const live = new Set<string>();
  const stack = graph.outputs.map((o) => o.value);
  while (stack.length) {
    const v = stack.pop()!;
    if (live.has(v)) continue;
    live.add(v);
    const p = byOutput.get(v);
    if (p) stack.push(...p.inputs);
  }
  return { ...graph, nodes: graph.nodes.filter((n) => live.has(n.output)) };
}

function foldPads(graph: Graph, report: OptimiseReport): Graph {
  const shapes = inferShapes(graph);
  const readers = consumers(graph);
  const outputs = new Set(graph.outputs.map((o) => o.value));
  const replaced = new Map<Node, Node>();
  const dropped = new Set<Node>();
  for (const pad of graph.nodes) {
    if (pad.op !== 'pad' || pad.value !== 0 || pad.pads.length !== 4 || outputs.has(pad.output)) continue;
    const [, [t, b], [l, r], [c0, c1]] = pad.pads;
    if (c0 !== 0 || c1 !== 0) continue;
    const readersOf = readers.get(pad.output) ?? [];
    const conv = readersOf[0];
    if (readersOf.length !== 1 || (conv.op !== 'conv2d' && conv.op !== 'depthwiseConv2d') || conv.inputs[0] !== pad.output) continue;
    const padded = shapes.get(pad.output)!;
    const own = resolvePadding(conv.padding, padded[1], padded[2], [conv.kernelShape[0], conv.kernelShape[1]], conv.strides, conv.dilations);
    replaced.set(conv, {
      ...conv,
      inputs: [pad.inputs[0]],
      padding: { top: own.top + t, bottom: own.bottom + b, left: own.left + l, right: own.right + r },
    });
    dropped.add(pad);
    report.foldedPads++;
  }
  return { ...graph, nodes: graph.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n) };
}

type Kernelled = ConvNode | DenseNode;

function fuseIntoKernels(graph: Graph, report: OptimiseReport): Graph {
  const byOutput = producers(graph);
  const readers = consumers(graph);
  const outputs = new Set(graph.outputs.map((o) => o.value));
  const nodes = [...graph.nodes];
  const removed = new Set<Node>();
  const soleReader = (value: string): Node | null => {
    if (outputs.has(value)) return null;
    const r = readers.get(value) ?? [];
    return r.length === 1 ? r[0] : null;
  };

  for (let i = 0; i < nodes.length; i++) {
    const start = nodes[i];
    if (start.op !== 'conv2d' && start.op !== 'depthwiseConv2d' && start.op !== 'dense') continue;
    if (start.activation !== 'linear') continue;
    let node: Kernelled = start;
    const channels = outChannels(node);
    for (;;) {
      const next = soleReader(node.output);
      if (!next) break;
      const fold = affineFold(next, node.output, channels, byOutput, node.op === 'dense' ? 2 : 4);
      if (fold) {
        node = applyAffine(node, fold, next.output, channels);
        removed.add(next);
        report.foldedAffine++;
        continue;
      }
      const act = activationOf(next);
      if (act) {
        node = { ...node, activation: act, output: next.output };
        removed.add(next);
        report.fusedActivations++;
      }
      break;
    }
    nodes[i] = node;
  }
  return { ...graph, nodes: nodes.filter((n) => !removed.has(n)) };
}

function outChannels(node: Kernelled): number {
  if (node.op === 'dense') return node.outDim;
  const [, , cin, last] = node.kernelShape;
  return node.op === 'conv2d' ? last : cin * last;
}

/** y = x·scale + shift per output channel, when `next` is such an op on `value`. */
interface Affine {
  scale: Float64Array | null;
  shift: Float64Array | null;
}

function affineFold(next: Node, value: string, channels: number, byOutput: Map<string, Node>, rank: number): Affine | null {
  if (next.op !== 'add' && next.op !== 'sub' && next.op !== 'mul' && next.op !== 'div') return null;
  const [a, b] = next.inputs;
  if (a === b) return null;
  const other = a === value ? b : a;
  const constNode = byOutput.get(other);
  if (!isConstant(constNode)) return null;
  // Only per-channel (or scalar) constants: every dimension 1 but the last.
  const dims = constNode.shape;
  if (dims.length > rank || dims.slice(0, -1).some((d) => d !== 1)) return null;
  const n = constNode.values.length;
  if (n !== 1 && n !== channels) return null;
  if ((next.op === 'sub' || next.op === 'div') && a !== value) return null; // c − x, c / x
  const per = new Float64Array(channels);
  for (let c = 0; c < channels; c++) per[c] = constNode.values[n === 1 ? 0 : c];
  switch (next.op) {
    case 'add':
      return { scale: null, shift: per };
    case 'sub':
      return { scale: null, shift: per.map((v) => -v) };
    case 'mul':
      return { scale: per, shift: null };
    case 'div':
      return { scale: per.map((v) => 1 / v), shift: null };
  }
}

function applyAffine(node: Kernelled, f: Affine, output: string, channels: number): Kernelled {
  let kernel = node.kernel;
  let bias: Float32Array | null = node.bias;
  if (f.scale) {
    const s = f.scale;
    kernel = new Float32Array(node.kernel.length);
    // The output channel is the fastest-varying index in every kernel layout we use
    // (HWIO, depthwise H·W·(C·M), dense [in, out]).
    for (let i = 0; i < kernel.length; i++) kernel[i] = node.kernel[i] * s[i % channels];
    if (bias) bias = Float32Array.from(bias, (v, c) => v * s[c]);
  }
  if (f.shift) {
    const t = f.shift;
    bias = Float32Array.from({ length: channels }, (_, c) => (bias ? bias[c] : 0) + t[c]);
  }
  return { ...node, kernel, bias, output } as Kernelled;
}

function activationOf(node: Node): Activation | null {
  if (node.op === 'relu') return 'relu';
  if (node.op === 'relu6') return 'relu6';
  if (node.op === 'clip' && node.min === 0 && node.max === 6) return 'relu6';
  if (node.op === 'clip' && node.min === 0 && node.max === Infinity) return 'relu';
  return null;
}
