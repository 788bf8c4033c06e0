/**
 * A registry backbone (main/engine/tf/registry.ts) as an IR graph: its files read from the
 * folder weights.ts resolved, the front end chosen by its format, its input size and
 * feature layer or node taken from the spec.
 *
 * Two input forms: the network's own range (float32 `[n,s,s,3]`, what TF.js is fed), or
 * Graft's preprocessed RGB bytes (uint8 `[n,s,s,3]` from `decodeForNetwork`) with the
 * range mapping of `toNetworkRange` — x·(hi − lo)/255 + lo — done inside the graph.
 */
import type { BackboneSpec } from '../tf/registry';
import { UnsupportedModelError, type Graph } from './ir';
import { graphModelBackboneGraph } from './graph-frontend';
import { layersBackboneGraph, type BackboneGraph } from './layers-frontend';
import { GraphBuilder } from './shapes';
import { readTfjsModel } from './tfjs-weights';

export type { BackboneGraph };

export type BackboneInput = 'rgb-bytes' | 'network-range';

/**
 * The backbone's features graph: input "image", output "features" `[n, dim]`, network
 * range. `weightOverrides`: a fine-tuned run's layer weights (layers models only).
 */
export function backboneGraph(spec: BackboneSpec, dir: string, weightOverrides?: ReadonlyMap<string, readonly Float32Array[]>): BackboneGraph {
  if (spec.format === 'saved_model') throw new UnsupportedModelError(`${spec.id} is a TensorFlow SavedModel, which the compiler does not read`);
  let model: ReturnType<typeof readTfjsModel>;
  try {
    model = readTfjsModel(dir);
  } catch (err) {
    if (err instanceof UnsupportedModelError) throw err;
    throw new UnsupportedModelError(`the model files in ${dir} cannot be read (${(err as Error).message.split('\n')[0]})`);
  }
  if (weightOverrides?.size && spec.format !== 'layers') throw new UnsupportedModelError(`${spec.id} is a graph model, whose layers cannot be fine-tuned`);
  const compiled =
    spec.format === 'layers'
      ? layersBackboneGraph(model.json, model.weights, { featureLayer: spec.featureLayer, pooling: spec.pooling, inputSize: spec.inputSize, weightOverrides })
      : graphModelBackboneGraph(model.json, model.weights, { featureNode: spec.featureNode, pooling: spec.pooling, inputSize: spec.inputSize });
  if (spec.dim && compiled.dim !== spec.dim) throw new UnsupportedModelError(`${spec.id} gives ${compiled.dim}-d features where the spec says ${spec.dim}`);
  return compiled;
}

/** The values `toNetworkRange` gives byte v: lo + v·(hi − lo)/255, as graph nodes after `bytes`. */
export function addRangeMapping(b: GraphBuilder, bytes: string, range: readonly [number, number], prefix: string): string {
  const floats = b.add({ op: 'cast', name: `${prefix}cast`, inputs: [bytes] });
  const scaled = b.add({ op: 'mul', name: `${prefix}scale`, inputs: [floats, b.constant(`${prefix}scale_k`, Float32Array.of((range[1] - range[0]) / 255), [])] });
  if (range[0] === 0) return scaled;
  return b.add({ op: 'add', name: `${prefix}offset`, inputs: [scaled, b.constant(`${prefix}offset_k`, Float32Array.of(range[0]), [])] });
}

/** `graph` (input "image" in the network's range) fed with RGB bytes instead. */
export function withRgbBytesInput(graph: Graph, range: readonly [number, number]): Graph {
  const b = new GraphBuilder();
  const input = graph.inputs[0];
  const bytes = b.input('image', 'uint8', input.shape);
  const x = addRangeMapping(b, bytes, range, 'input/');
  const out = b.inline(graph, { [input.name]: x }, '');
  for (const o of graph.outputs) b.output(o.name, out[o.name]);
  return b.graph();
}
