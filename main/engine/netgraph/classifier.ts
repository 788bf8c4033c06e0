/**
 * A whole trained classifier as one IR graph — what `main/engine/training/predict.ts` computes
 * with TF.js, step for step (the stored format is described in main/engine/model/stored-model.ts):
 *
 *   image bytes → [per view: the image, or its mirror for 'flip'] → each backbone (its own
 *   range mapping) → codes concatenated in the model's backbone order → standardised,
 *   (x − mean) / std → every member's dense layers with their activations (a 'softmax'
 *   layer is a linear dense layer and a softmax; the neighbour vote is two dense layers
 *   ending 'linear') → members averaged → views averaged → probabilities.
 *
 * Inputs: RGB bytes as Graft's preprocessing produces them (`decodeForNetwork`: centre
 * square resized to the network's size, NHWC uint8) — one input "image" when every
 * backbone takes the same size, else one per size, "image_<size>" (sharp's resize cannot
 * be reproduced inside a graph, so each size comes preprocessed). Outputs: "probabilities"
 * `[n, classes]` and "codes" `[n, inputDim]` (the centre view's concatenated codes); with
 * `similarity`, also "similarity" `[n, 1]`, each photo's similarity to the nearest voter
 * (model/novelty.ts), for a predictor to tell unfamiliar photos in the same run.
 */
import type { View } from '../../../shared/api/codes';
import type { DenseParams, HeadParams } from '../model/head';
import { similarityTerms, voteMemberOf } from '../model/novelty';
import { addRangeMapping } from './backbone-graph';
import type { Graph } from './ir';
import { GraphBuilder } from './shapes';

export interface ClassifierBackbone {
  id: string;
  /** The backbone's features graph (`backbone-graph.ts`): input "image" in the network's range, output "features". */
  graph: Graph;
  inputSize: number;
  inputRange: readonly [number, number];
  dim: number;
}

export interface ClassifierGraphOptions {
  views: readonly View[];
  /** 'uint8' (default): RGB bytes; 'float32': the same 0…255 values as floats. */
  inputType?: 'uint8' | 'float32';
  /** Add the "similarity" output (when the head has a neighbour vote). Exports leave it out. */
  similarity?: boolean;
}

export function classifierInputName(backbones: ReadonlyArray<Pick<ClassifierBackbone, 'inputSize'>>, size: number): string {
  return new Set(backbones.map((b) => b.inputSize)).size === 1 ? 'image' : `image_${size}`;
}

export function classifierGraph(backbones: readonly ClassifierBackbone[], head: HeadParams, options: ClassifierGraphOptions): Graph {
  if (!backbones.length) throw new Error('A classifier needs at least one backbone');
  const total = backbones.reduce((a, bb) => a + bb.dim, 0);
  if (total !== head.inputDim) throw new Error(`The backbones give ${total} features but the head reads ${head.inputDim}`);
  if (!options.views.length) throw new Error('A classifier needs at least one view');
  const b = new GraphBuilder();
  const inputType = options.inputType ?? 'uint8';

  const images = new Map<number, string>();
  for (const bb of backbones) {
    if (!images.has(bb.inputSize)) images.set(bb.inputSize, b.input(classifierInputName(backbones, bb.inputSize), inputType, [-1, bb.inputSize, bb.inputSize, 3]));
  }
  // One range mapping (and one mirror) per input size and range, shared by the backbones
  // that agree on both.
  const mapped = new Map<string, string>();
  const networkInput = (bb: ClassifierBackbone, view: View): string => {
    const key = `${bb.inputSize}:${bb.inputRange.join(',')}`;
    const prefix = `input${bb.inputSize}_${bb.inputRange.join('_')}/`;
    let centre = mapped.get(key);
    if (!centre) {
      centre = mapRange(b, images.get(bb.inputSize)!, bb.inputRange, prefix, inputType);
      mapped.set(key, centre);
    }
    if (view === 'center') return centre;
    let flipped = mapped.get(`${key}:flip`);
    if (!flipped) {
      flipped = b.add({ op: 'reverseWidth', name: `${prefix}flip`, inputs: [centre] });
      mapped.set(`${key}:flip`, flipped);
    }
    return flipped;
  };

  const viewProbs: string[] = [];
  // The view whose codes the outputs give: the centre, or the first view without one.
  const centreView = options.views.includes('center') ? 'center' : options.views[0];
  const terms = options.similarity ? similarityTerms(head, backbones.map((bb) => bb.dim)) : null;
  let centre: { joined: string; codes: string[]; products: string[] } | null = null;
  for (const view of options.views) {
    const codes = backbones.map((bb, i) => b.inline(bb.graph, { [bb.graph.inputs[0].name]: networkInput(bb, view) }, `${view}/${i}_${bb.id}/`).features);
    const joined = codes.length === 1 ? codes[0] : b.add({ op: 'concat', name: `${view}/codes`, inputs: codes, axis: 1 });
    const blocks = view === centreView && terms ? { codes, widths: backbones.map((bb) => bb.dim), standardised: [], products: [] } : undefined;
    if (view === centreView) centre = { joined, codes, products: blocks?.products ?? [] };
    viewProbs.push(addHead(b, joined, head, `${view}/head/`, blocks));
  }
  const probs = average(b, viewProbs, 'views');
  b.output('probabilities', probs);
  b.output('codes', centre!.joined);
  if (terms) b.output('similarity', addSimilarity(b, centre!, backbones, terms));
  return b.graph();
}

/**
 * Each photo's similarity to the nearest voter (model/novelty.ts, `similarityTerms`), from the
 * products the vote's first layer already computed block by block: per network, the product
 * back in raw codes, scaled per voter and divided by the codes' length; summed over the
 * networks; the largest over the voters. In the graph, a predictor learns it from the same run
 * as the probabilities instead of a second trip to a worker holding the vote (about 2 ms of a
 * 20 ms prediction).
 */
function addSimilarity(
  b: GraphBuilder,
  centre: { codes: string[]; products: string[] },
  backbones: readonly ClassifierBackbone[],
  { voters, offsets, scales }: { voters: number; offsets: Float32Array[]; scales: Float32Array[] },
): string {
  let sum: string | null = null;
  centre.codes.forEach((x, i) => {
    const prefix = `similarity/${i}_${backbones[i].id}/`;
    const width = backbones[i].dim;
    const squared = b.add({ op: 'mul', name: `${prefix}squared`, inputs: [x, x] });
    const norm2 = b.add({ op: 'dense', name: `${prefix}norm2`, inputs: [squared], inDim: width, outDim: 1, kernel: new Float32Array(width).fill(1), bias: null, activation: 'linear' });
    // Codes all zero have no direction; their products are zero, and so their cosines (as in novelty.ts).
    const nonzero = b.add({ op: 'clip', name: `${prefix}nonzero`, inputs: [norm2], min: 1e-30, max: 3e38 });
    const length = b.add({ op: 'sqrt', name: `${prefix}length`, inputs: [nonzero] });
    const raw = b.add({ op: 'add', name: `${prefix}raw`, inputs: [centre.products[i], b.constant(`${prefix}offset`, offsets[i], [voters])] });
    const scaled = b.add({ op: 'mul', name: `${prefix}scaled`, inputs: [raw, b.constant(`${prefix}scale`, scales[i], [voters])] });
    const cosines = b.add({ op: 'div', name: `${prefix}cosines`, inputs: [scaled, length] });
    sum = sum === null ? cosines : b.add({ op: 'add', name: `similarity/sum${i}`, inputs: [sum, cosines] });
  });
  // [n, voters] → [n, 1, voters, 1], whose spatial maximum is each row's largest.
  const grid = b.add({ op: 'reshape', name: 'similarity/grid', inputs: [sum!], shape: [1, voters, 1] });
  return b.add({ op: 'spatialMax', name: 'similarity/nearest', inputs: [grid], keepDims: false });
}

function mapRange(b: GraphBuilder, image: string, range: readonly [number, number], prefix: string, inputType: 'uint8' | 'float32'): string {
  if (inputType === 'uint8') return addRangeMapping(b, image, range, prefix);
  const scaled = b.add({ op: 'mul', name: `${prefix}scale`, inputs: [image, b.constant(`${prefix}scale_k`, Float32Array.of((range[1] - range[0]) / 255), [])] });
  if (range[0] === 0) return scaled;
  return b.add({ op: 'add', name: `${prefix}offset`, inputs: [scaled, b.constant(`${prefix}offset_k`, Float32Array.of(range[0]), [])] });
}

/**
 * Each network's codes, for a vote computed block by block; `standardised` receives each
 * block's standardised codes, `products` each block's product.
 */
interface VoteBlocks {
  codes: string[];
  widths: number[];
  standardised: string[];
  products: string[];
}

/**
 * Standardisation, members, members' average: the head of `predictHead`. With `blocks`, the
 * codes are standardised one network at a time (and joined for the members) and the vote's
 * first layer computed block by block (`addBlockwiseLayer`), so that the similarity reuses its
 * products.
 */
function addHead(b: GraphBuilder, codes: string, head: HeadParams, prefix: string, blocks?: VoteBlocks): string {
  let z: string;
  if (blocks) {
    let start = 0;
    for (const [i, x] of blocks.codes.entries()) {
      const end = start + blocks.widths[i];
      blocks.standardised.push(standardise(b, x, head.mean.subarray(start, end), head.std.subarray(start, end), `${prefix}block${i}/`));
      start = end;
    }
    z = blocks.standardised.length === 1 ? blocks.standardised[0] : b.add({ op: 'concat', name: `${prefix}standardised`, inputs: blocks.standardised, axis: 1 });
  } else z = standardise(b, codes, head.mean, head.std, prefix);
  const vote = blocks ? voteMemberOf(head) : null;
  const members = head.members.map((m, mi) => {
    let h = z;
    m.layers.forEach((l, li) => {
      if (m === vote && li === 0) {
        h = addBlockwiseLayer(b, l, blocks!, `${prefix}member${mi}/dense${li}`);
        return;
      }
      const name = `${prefix}member${mi}/dense${li}`;
      const fused = l.activation === 'relu' ? 'relu' : 'linear';
      h = b.add({ op: 'dense', name, inputs: [h], inDim: l.inDim, outDim: l.outDim, kernel: l.kernel, bias: l.bias, activation: fused });
      if (l.activation === 'softmax') h = b.add({ op: 'softmax', name: `${name}/softmax`, inputs: [h] });
    });
    return h;
  });
  return average(b, members, `${prefix}members`);
}

/** (x − mean) / std. */
function standardise(b: GraphBuilder, x: string, mean: Float32Array, std: Float32Array, prefix: string): string {
  const centred = b.add({ op: 'sub', name: `${prefix}centre`, inputs: [x, b.constant(`${prefix}mean`, mean, [mean.length])] });
  return b.add({ op: 'div', name: `${prefix}standardise`, inputs: [centred, b.constant(`${prefix}std`, std, [std.length])] });
}

/**
 * A dense layer on the standardised codes as a sum of one product per network: z_b · K_b, with
 * K_b the network's rows of the kernel. The same arithmetic as one product, in the same graph.
 */
function addBlockwiseLayer(b: GraphBuilder, layer: DenseParams, blocks: VoteBlocks, name: string): string {
  const n = layer.outDim;
  let start = 0;
  let sum: string | null = null;
  blocks.standardised.forEach((z, i) => {
    const width = blocks.widths[i];
    const prefix = `${name}/block${i}`;
    const kernel = layer.kernel.subarray(start * n, (start + width) * n);
    const product = b.add({ op: 'dense', name: `${prefix}/product`, inputs: [z], inDim: width, outDim: n, kernel, bias: null, activation: 'linear' });
    blocks.products.push(product);
    sum = sum === null ? product : b.add({ op: 'add', name: `${prefix}/sum`, inputs: [sum, product] });
    start += width;
  });
  const h = b.add({ op: 'add', name: `${name}/bias`, inputs: [sum!, b.constant(`${name}/bias_k`, layer.bias, [n])] });
  if (layer.activation === 'softmax') return b.add({ op: 'softmax', name: `${name}/softmax`, inputs: [h] });
  if (layer.activation === 'relu') return b.add({ op: 'relu', name: `${name}/relu`, inputs: [h] });
  return h;
}

/** The mean of equally shaped values: their sum divided by their count. */
function average(b: GraphBuilder, values: string[], name: string): string {
  if (values.length === 1) return values[0];
  let sum = values[0];
  for (let i = 1; i < values.length; i++) sum = b.add({ op: 'add', name: `${name}/sum`, inputs: [sum, values[i]] });
  return b.add({ op: 'div', name: `${name}/mean`, inputs: [sum, b.constant(`${name}/count`, Float32Array.of(values.length), [])] });
}
