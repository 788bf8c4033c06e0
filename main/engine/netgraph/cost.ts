/**
 * The arithmetic a graph asks for: multiply-adds per image of its convolutions and dense
 * layers, the work that dominates every network Graft compiles (94% of ONNX Runtime's
 * time on MobileNet v1 at 320 px). The bench divides it by a measured time to tell
 * how close a runtime comes to the processor's own speed, which says whether a slow
 * figure is Graft's to fix or the machine's.
 */
import type { Graph } from './ir';
import { inferShapes } from './shapes';

/** Multiply-adds for one image (batch 1): convolutions and dense layers, elementwise ops not counted. */
export function multiplyAdds(graph: Graph): number {
  const shapes = inferShapes(graph);
  let total = 0;
  for (const node of graph.nodes) {
    if (node.op === 'conv2d' || node.op === 'depthwiseConv2d') {
      const [, oh, ow, cout] = shapes.get(node.output)!;
      const [kh, kw, cin] = node.kernelShape;
      // Each output of a conv2d reads every input channel; a depthwise output reads one.
      total += oh * ow * cout * kh * kw * (node.op === 'conv2d' ? cin : 1);
    } else if (node.op === 'dense') {
      total += node.inDim * node.outDim;
    }
  }
  return total;
}
