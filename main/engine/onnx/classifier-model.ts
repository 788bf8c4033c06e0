/**
 * A stored model (main/engine/model/stored-model.ts) compiled into one ONNX model: its backbones
 * (fine-tuned layers applied), the head and the view averaging — `netgraph/classifier.ts`
 * says what the graph computes and names its inputs and outputs. For export and for
 * prediction in one session.
 */
import { GraftError } from '../errors';
import type { StoredModel } from '../model/stored-model';
import { getBackbone } from '../tf/registry';
import { resolveWeights, type ResolveOptions } from '../tf/weights';
import { backboneGraph } from '../netgraph/backbone-graph';
import { classifierGraph, classifierInputName, type ClassifierBackbone } from '../netgraph/classifier';
import { UnsupportedModelError, type Graph } from '../netgraph/ir';
import { writeOnnx } from './onnx-writer';

export interface CompiledClassifier {
  bytes: Uint8Array;
  /** The image inputs: name and the square size its RGB bytes must have. */
  inputs: Array<{ name: string; size: number }>;
  classes: string[];
}

/** The stored model as one IR graph (`netgraph/classifier.ts`), its backbones compiled; for the ONNX and TFLite writers. */
export async function classifierGraphOf(model: StoredModel, options: ResolveOptions & { inputType?: 'uint8' | 'float32'; format?: string; similarity?: boolean } = {}): Promise<{ graph: Graph; backbones: ClassifierBackbone[] }> {
  const backbones: ClassifierBackbone[] = [];
  for (const b of model.backbones) {
    const spec = getBackbone(b.id);
    const { dir } = await resolveWeights(spec, options);
    const tuned = model.fineTuned?.backbone === b.id ? new Map(model.fineTuned.layers.map((l) => [l.name, l.weights.map((w) => w.values)])) : undefined;
    let compiled: ReturnType<typeof backboneGraph>;
    try {
      compiled = backboneGraph(spec, dir, tuned);
    } catch (err) {
      if (err instanceof UnsupportedModelError) throw new GraftError('bad_model', `The model cannot be compiled to ${options.format ?? 'ONNX'}: backbone ${spec.id}: ${err.message}.`);
      throw err;
    }
    if (compiled.dim !== b.dim) throw new GraftError('bad_model', `The backbone ${b.id} gives ${compiled.dim}-d codes but the model was trained on ${b.dim}-d ones.`);
    backbones.push({ id: spec.id, graph: compiled.graph, inputSize: spec.inputSize, inputRange: spec.inputRange, dim: compiled.dim });
  }
  return { graph: classifierGraph(backbones, model.head, { views: model.views, inputType: options.inputType, similarity: options.similarity }), backbones };
}

/**
 * `inputType` 'float32': the images as floats 0…255 instead of bytes; `similarity`: the
 * "similarity" output for a predictor (netgraph/classifier.ts).
 */
export async function compileClassifier(model: StoredModel, options: ResolveOptions & { inputType?: 'uint8' | 'float32'; similarity?: boolean } = {}): Promise<CompiledClassifier> {
  const { graph, backbones } = await classifierGraphOf(model, options);
  const sizes = [...new Set(backbones.map((b) => b.inputSize))];
  const bytes = writeOnnx(graph, {
    docString: `A Graft image classifier: ${model.classes.length} classes, backbones ${model.backbones.map((b) => b.id).join(' + ')}, views ${model.views.join(' + ')}`,
    metadata: { 'graft.classes': JSON.stringify(model.classes), 'graft.backbones': JSON.stringify(model.backbones), 'graft.views': JSON.stringify(model.views) },
    graphName: 'graft_classifier',
  });
  return { bytes, inputs: sizes.map((size) => ({ name: classifierInputName(backbones, size), size })), classes: model.classes };
}
