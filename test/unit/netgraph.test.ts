/**
 * The inference-graph IR on its own: TensorFlow's SAME padding arithmetic, shape checks
 * that name the node at fault, and the folding pass (batch norm and bias into kernels,
 * activations fused, zero padding into the convolution), including what it must leave
 * alone; and the multiply-adds a graph asks for.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UnsupportedModelError, type ConvNode, type Graph } from '../../main/engine/netgraph/ir';
import { optimise } from '../../main/engine/netgraph/optimise';
import { GraphBuilder, inferShapes, resolvePadding } from '../../main/engine/netgraph/shapes';
import { multiplyAdds } from '../../main/engine/netgraph/cost';
import { backboneGraph } from '../../main/engine/netgraph/backbone-graph';
import { getBackbone } from '../../main/engine/tf/registry';
import { modelsDir } from '../helpers/paths';

/** input [n,5,5,2] → 1×1 conv (2→3) → ·scale → +shift → relu6, optionally also read elsewhere. */
function convBnRelu(options: { extraReader?: boolean; outputConv?: boolean } = {}): Graph {
  const b = new GraphBuilder();
  const x = b.input('image', 'float32', [-1, 5, 5, 2]);
  const conv = b.add({
    op: 'conv2d',
    name: 'conv',
    inputs: [x],
    kernel: Float32Array.of(1, 2, 3, 4, 5, 6), // [1,1,2,3]: input channel i, output o at i·3 + o
    kernelShape: [1, 1, 2, 3],
    bias: Float32Array.of(0.5, 0, -0.5),
    strides: [1, 1],
    dilations: [1, 1],
    padding: 'same',
    activation: 'linear',
  });
  const scaled = b.add({ op: 'mul', name: 'bn_scale', inputs: [conv, b.constant('s', Float32Array.of(2, 3, 4), [3])] });
  const shifted = b.add({ op: 'add', name: 'bn_shift', inputs: [scaled, b.constant('t', Float32Array.of(1, 1, 1), [3])] });
  const act = b.add({ op: 'relu6', name: 'act', inputs: [shifted] });
  const flat = b.add({ op: 'spatialMean', name: 'pool', inputs: [act], keepDims: false });
  b.output('features', flat);
  if (options.extraReader) b.output('raw', b.add({ op: 'spatialMean', name: 'raw_pool', inputs: [conv], keepDims: false }));
  if (options.outputConv) b.output('conv_map', conv);
  return b.graph();
}

describe('netgraph IR', () => {
  it("resolves SAME padding as TensorFlow does (the odd cell at the bottom/right)", () => {
    assert.deepEqual(resolvePadding('same', 224, 224, [3, 3], [2, 2]), { top: 0, bottom: 1, left: 0, right: 1 });
    assert.deepEqual(resolvePadding('same', 7, 8, [3, 3], [2, 2]), { top: 1, bottom: 1, left: 0, right: 1 });
    assert.deepEqual(resolvePadding('same', 10, 10, [3, 3], [1, 1], [2, 2]), { top: 2, bottom: 2, left: 2, right: 2 });
    assert.deepEqual(resolvePadding('valid', 10, 10, [3, 3], [1, 1]), { top: 0, bottom: 0, left: 0, right: 0 });
  });

  it('infers shapes and names the node whose inputs do not fit', () => {
    const g = convBnRelu();
    const shapes = inferShapes(g);
    assert.deepEqual(shapes.get(g.outputs[0].value), [-1, 3]);
    const b = new GraphBuilder();
    const x = b.input('codes', 'float32', [-1, 10]);
    assert.throws(
      () => b.add({ op: 'dense', name: 'head/dense0', inputs: [x], inDim: 12, outDim: 2, kernel: new Float32Array(24), bias: null, activation: 'linear' }),
      (err: Error) => err instanceof UnsupportedModelError && /head\/dense0/.test(err.message) && /12 features/.test(err.message),
    );
  });

  it('folds a per-channel scale and shift into the convolution and fuses relu6', () => {
    const { graph, report } = optimise(convBnRelu());
    const convs = graph.nodes.filter((n): n is ConvNode => n.op === 'conv2d');
    assert.equal(convs.length, 1);
    assert.deepEqual(graph.nodes.map((n) => n.op), ['conv2d', 'spatialMean']);
    const [conv] = convs;
    assert.equal(conv.activation, 'relu6');
    // (W·x + b)·s + t: each output channel's column of W and its bias scaled by s, then t added.
    assert.deepEqual(Array.from(conv.kernel), [2, 6, 12, 8, 15, 24]);
    assert.deepEqual(Array.from(conv.bias!), [2, 1, -1]);
    assert.deepEqual(report, { foldedAffine: 2, fusedActivations: 1, foldedPads: 0 });
  });

  it('leaves a value alone when another node or an output reads it', () => {
    for (const options of [{ extraReader: true }, { outputConv: true }]) {
      const { graph } = optimise(convBnRelu(options));
      const conv = graph.nodes.find((n) => n.op === 'conv2d') as ConvNode;
      assert.equal(conv.activation, 'linear', JSON.stringify(options));
      assert.deepEqual(Array.from(conv.kernel), [1, 2, 3, 4, 5, 6]);
      assert.ok(graph.nodes.some((n) => n.op === 'mul') && graph.nodes.some((n) => n.op === 'relu6'));
    }
  });

  it('takes a zero pad of height and width into the next convolution', () => {
    const b = new GraphBuilder();
    const x = b.input('image', 'float32', [-1, 6, 6, 1]);
    const padded = b.add({ op: 'pad', name: 'pad', inputs: [x], pads: [[0, 0], [0, 1], [1, 1], [0, 0]], value: 0 });
    const conv = b.add({ op: 'depthwiseConv2d', name: 'dw', inputs: [padded], kernel: new Float32Array(9).fill(1), kernelShape: [3, 3, 1, 1], bias: null, strides: [2, 2], dilations: [1, 1], padding: 'valid', activation: 'linear' });
    b.output('y', conv);
    const before = inferShapes(b.graph()).get(conv);
    const { graph, report } = optimise(b.graph());
    assert.equal(report.foldedPads, 1);
    assert.deepEqual(graph.nodes.map((n) => n.op), ['depthwiseConv2d']);
    assert.deepEqual((graph.nodes[0] as ConvNode).padding, { top: 0, bottom: 1, left: 1, right: 1 });
    assert.deepEqual(graph.nodes[0].inputs, ['image']);
    assert.deepEqual(inferShapes(graph).get(conv), before);
  });

  it('counts the multiply-adds of convolutions and dense layers for one image', () => {
    const b = new GraphBuilder();
    const x = b.input('image', 'float32', [-1, 5, 5, 2]);
    const conv = (op: ConvNode['op'], input: string, kernelShape: ConvNode['kernelShape'], strides: [number, number]) =>
      b.add({ op, name: op, inputs: [input], kernel: new Float32Array(kernelShape.reduce((a, d) => a * d, 1)), kernelShape, bias: null, strides, dilations: [1, 1], padding: 'same', activation: 'relu' });
    const c1 = conv('conv2d', x, [3, 3, 2, 4], [2, 2]); // [3,3,4]: 3·3·4 outputs × 3·3·2 reads
    const c2 = conv('depthwiseConv2d', c1, [3, 3, 4, 2], [1, 1]); // [3,3,8]: 3·3·8 outputs × 3·3 reads
    const pooled = b.add({ op: 'spatialMean', name: 'pool', inputs: [c2], keepDims: false });
    b.output('logits', b.add({ op: 'dense', name: 'dense', inputs: [pooled], inDim: 8, outDim: 10, kernel: new Float32Array(80), bias: null, activation: 'linear' }));
    assert.equal(multiplyAdds(b.graph()), 3 * 3 * 4 * 18 + 3 * 3 * 8 * 9 + 80);
  });

  it("counts MobileNet v1 as its paper does (0.75 at 224 px: 325 million multiply-adds), four times that at twice the size", () => {
    const at = (id: string) => {
      const spec = getBackbone(id);
      return multiplyAdds(backboneGraph(spec, path.join(modelsDir, spec.weightsOf ?? spec.id)).graph);
    };
    const v1 = at('mobilenet_v1_0.75_224');
    assert.ok(Math.abs(v1 / 325e6 - 1) < 0.01, `${v1} multiply-adds`);
    // At 320 px every feature map has (320/224)² the cells, up to the rounding of strided sizes.
    assert.ok(Math.abs(at('mobilenet_v1_0.75_224_at320') / v1 / (320 / 224) ** 2 - 1) < 0.01);
  });
});
