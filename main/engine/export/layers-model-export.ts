/**
 * Builds the standalone TF.js LAYERS model of a trained run: the backbone network(s)
 * up to their feature layer, global average pooling where the spec asks for it, the
 * codes of several backbones concatenated, and the dense head (standardisation folded
 * in, ensemble members averaged, the mirrored view averaged when the run predicts with
 * it). Input: `[n, size, size, 3]` RGB scaled to [-1, 1], as Teachable Machine exports
 * expect; output: `[n, classes]` probabilities.
 *
 * Only layer types that every TF.js version since 1.x can read are used (Teachable
 * Machine's and ml5's loaders are pinned to old versions): input-range adaptation is a
 * 1×1 DepthwiseConv2D (a per-channel scale and shift), the mirror is a Permute / Dense
 * with an anti-diagonal kernel / Permute, and each backbone is a nested functional
 * model, as in Teachable Machine's own files.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { GraftError } from '../errors';
import type { BackboneSpec } from '../tf/registry';
import type { Tf } from '../tf/runtime';
import type { StoredModel } from '../model/stored-model';
import { foldStandardisation } from './head-folding';
import { disposeLayersModel } from './dispose-model';
import { readModelArtifacts } from './model-folder-io';
import { atInputSize } from '../tf/input-size';

export const EXPORT_INPUT_RANGE: readonly [number, number] = [-1, 1];
export const INPUT_NAME = 'image';
export const OUTPUT_NAME = 'probabilities';

export interface ResolvedBackbone {
  spec: BackboneSpec;
  /** Folder holding the backbone's model.json. */
  dir: string;
}

export interface BuiltArtifacts {
  modelTopology: unknown;
  weightSpecs: tfjs.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  format: 'layers-model' | 'graph-model';
  /** Present for graph models. */
  signature?: unknown;
  inputName: string;
  outputName: string;
  inputSize: number;
}

export async function buildLayersModelExport(tf: Tf, stored: StoredModel, backbones: ResolvedBackbone[]): Promise<BuiltArtifacts> {
  const size = backbones[0].spec.inputSize;
  if (backbones.some((b) => b.spec.inputSize !== size)) {
    throw new GraftError('bad_model', `The run's backbones take different image sizes (${backbones.map((b) => `${b.spec.id}: ${b.spec.inputSize}`).join(', ')}); one exported model needs one input size.`);
  }
  const disposables: tfjs.LayersModel[] = [];
  // Initial weights handed to layers are copied into their variables: ours to free.
  const initial: tfjs.Tensor[] = [];
  const own = <T extends tfjs.Tensor>(t: T): T => {
    initial.push(t);
    return t;
  };
  try {
    const nested: tfjs.LayersModel[] = [];
    const takenNames = new Set<string>([INPUT_NAME, OUTPUT_NAME]);
    for (const [i, bb] of backbones.entries()) {
      const original = await loadLayers(tf, bb);
      disposables.push(original);
      if (stored.fineTuned && stored.fineTuned.backbone === bb.spec.id) applyFineTuned(tf, original, stored.fineTuned.layers);
      const truncated = truncate(tf, original, bb.spec);
      const model = await renamedCopy(tf, truncated, `backbone_${i + 1}_${safeName(bb.spec.id)}`, takenNames, `b${i + 1}_`);
      disposables.push(model);
      nested.push(model);
    }

    const input = tf.input({ shape: [size, size, 3], name: INPUT_NAME, dtype: 'float32' });
    const views: tfjs.SymbolicTensor[] = [input];
    if (stored.views.includes('flip')) views.push(mirrorLayers(tf, size, own).reduce((x, layer) => layer.apply(x) as tfjs.SymbolicTensor, input as tfjs.SymbolicTensor));

    // Layers are created once and applied to every view, so the mirrored view shares weights.
    const adapters = backbones.map((bb, i) => rangeAdapter(tf, bb.spec, `graft_input_range_${i + 1}`, own));
    const poolers = backbones.map((bb, i) =>
      bb.spec.pooling === 'avg' ? tf.layers.globalAveragePooling2d({ name: `graft_pool_${i + 1}` }) : null,
    );
    const flatteners = nested.map((m, i) => ((m.outputs[0].shape.length > 2) && !poolers[i] ? tf.layers.flatten({ name: `graft_flatten_${i + 1}` }) : null));
    const concat = backbones.length > 1 ? tf.layers.concatenate({ name: 'graft_codes', axis: -1 }) : null;
    const members = foldStandardisation(stored.head);
    const singleOutput = members.length === 1 && views.length === 1;
    const headLayers = members.map((layers, m) =>
      layers.map((l, n) =>
        tf.layers.dense({
          units: l.outDim,
          activation: l.activation,
          useBias: true,
          name: singleOutput && n === layers.length - 1 ? OUTPUT_NAME : `graft_head_${m + 1}_dense_${n + 1}`,
          weights: [own(tf.tensor2d(l.kernel, [l.inDim, l.outDim])), own(tf.tensor1d(l.bias))],
        }),
      ),
    );

    const outputs: tfjs.SymbolicTensor[] = [];
    for (const view of views) {
      const codes = nested.map((model, i) => {
        let x = view;
        if (adapters[i]) x = adapters[i]!.apply(x) as tfjs.SymbolicTensor;
        x = model.apply(x) as tfjs.SymbolicTensor;
        if (poolers[i]) x = poolers[i]!.apply(x) as tfjs.SymbolicTensor;
        if (flatteners[i]) x = flatteners[i]!.apply(x) as tfjs.SymbolicTensor;
        return x;
      });
      const joined = concat ? (concat.apply(codes) as tfjs.SymbolicTensor) : codes[0];
      const dim = joined.shape[joined.shape.length - 1];
      if (dim !== stored.head.inputDim) {
        throw new GraftError('bad_model', `The backbones give ${dim}-d codes but the trained head expects ${stored.head.inputDim}: the backbone files differ from the ones the run was trained with.`);
      }
      for (const layers of headLayers) outputs.push(layers.reduce((x, layer) => layer.apply(x) as tfjs.SymbolicTensor, joined));
    }
    const probabilities = outputs.length === 1 ? outputs[0] : (tf.layers.average({ name: OUTPUT_NAME }).apply(outputs) as tfjs.SymbolicTensor);
    const exported = tf.model({ inputs: input, outputs: probabilities, name: 'graft_model' });
    disposables.push(exported);

    let saved: tfjs.io.ModelArtifacts | undefined;
    await exported.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (!saved || !saved.weightSpecs || !saved.weightData) throw new Error('TF.js did not return the model artifacts');
    return {
      modelTopology: saved.modelTopology,
      weightSpecs: saved.weightSpecs,
      weightData: concatWeightData(saved.weightData),
      format: 'layers-model',
      inputName: INPUT_NAME,
      outputName: OUTPUT_NAME,
      inputSize: size,
    };
  } finally {
    tf.dispose(initial);
    for (const model of disposables.reverse()) disposeLayersModel(model);
  }
}

async function loadLayers(tf: Tf, bb: ResolvedBackbone): Promise<tfjs.LayersModel> {
  try {
    return await atInputSize(tf, await tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(bb.dir))), bb.spec.inputSize);
  } catch (err) {
    if (err instanceof GraftError) throw err;
    throw new GraftError('bad_model', `Cannot load the backbone ${bb.spec.id} from ${bb.dir}: ${(err as Error).message.split('\n')[0]}`);
  }
}

function applyFineTuned(tf: Tf, model: tfjs.LayersModel, layers: NonNullable<StoredModel['fineTuned']>['layers']): void {
  for (const l of layers) {
    let layer: tfjs.layers.Layer;
    try {
      layer = model.getLayer(l.name);
    } catch {
      throw new GraftError('bad_model', `The run fine-tuned a layer named ${l.name}, which the backbone does not have: the backbone files changed since training.`);
    }
    const values = l.weights.map((w) => tf.tensor(w.values, w.shape));
    try {
      layer.setWeights(values);
    } finally {
      tf.dispose(values);
    }
  }
}

function truncate(tf: Tf, model: tfjs.LayersModel, spec: BackboneSpec): tfjs.LayersModel {
  if (!spec.featureLayer) return model;
  let layer: tfjs.layers.Layer;
  try {
    layer = model.getLayer(spec.featureLayer);
  } catch {
    throw new GraftError('bad_model', `The backbone ${spec.id} has no layer named ${spec.featureLayer}.`);
  }
  return tf.model({ inputs: model.inputs, outputs: layer.output as tfjs.SymbolicTensor });
}

interface LayerConfigJson {
  name: string;
  class_name: string;
  config: { name: string; [k: string]: unknown };
  inbound_nodes: Array<Array<[string, number, number, unknown]>>;
}

/**
 * A fresh copy of `model` under `name`, its layers renamed with `prefix` when any of
 * their names is already taken: TF.js loads weights by layer name, so two backbones
 * with the same layer names (MobileNet v1 0.25 and 0.75) would otherwise collide.
 */
async function renamedCopy(tf: Tf, model: tfjs.LayersModel, name: string, taken: Set<string>, prefix: string): Promise<tfjs.LayersModel> {
  const json = model.toJSON(null, false) as unknown as { class_name: string; config: { name: string; layers: LayerConfigJson[]; input_layers: Array<[string, number, number]>; output_layers: Array<[string, number, number]> } };
  const names = json.config.layers.map((l) => l.name);
  const collides = names.some((n) => taken.has(n));
  const rename = (n: string) => (collides ? `${prefix}${n}` : n);
  json.config.name = name;
  for (const l of json.config.layers) {
    l.name = rename(l.name);
    l.config.name = l.name;
    l.inbound_nodes = l.inbound_nodes.map((node) => node.map(([n, ni, ti, kw]) => [rename(n), ni, ti, kw] as [string, number, number, unknown]));
  }
  json.config.input_layers = json.config.input_layers.map(([n, ni, ti]) => [rename(n), ni, ti]);
  json.config.output_layers = json.config.output_layers.map(([n, ni, ti]) => [rename(n), ni, ti]);
  for (const n of names) taken.add(rename(n));
  taken.add(name);
  const copy = await tf.models.modelFromJSON({ modelTopology: json as unknown as tfjs.io.ModelArtifacts['modelTopology'] } as tfjs.io.ModelJSON);
  const weights = model.getWeights();
  copy.setWeights(weights);
  return copy;
}

/** x ↦ x·a + b per channel, mapping [-1, 1] onto the backbone's range; null when it already takes [-1, 1]. */
function rangeAdapter(tf: Tf, spec: BackboneSpec, name: string, own: <T extends tfjs.Tensor>(t: T) => T): tfjs.layers.Layer | null {
  const [lo, hi] = spec.inputRange;
  if (lo === EXPORT_INPUT_RANGE[0] && hi === EXPORT_INPUT_RANGE[1]) return null;
  const scale = (hi - lo) / (EXPORT_INPUT_RANGE[1] - EXPORT_INPUT_RANGE[0]);
  const shift = lo - EXPORT_INPUT_RANGE[0] * scale;
  return tf.layers.depthwiseConv2d({
    name,
    kernelSize: 1,
    depthMultiplier: 1,
    useBias: true,
    weights: [own(tf.fill([1, 1, 3, 1], scale)), own(tf.fill([3], shift))],
  });
}

/**
 * Left↔right mirror as three stock layers: move width last, multiply by the
 * anti-identity (exact: each output is one input times 1 plus zeros), move it back.
 */
function mirrorLayers(tf: Tf, size: number, own: <T extends tfjs.Tensor>(t: T) => T): tfjs.layers.Layer[] {
  const anti = new Float32Array(size * size);
  for (let i = 0; i < size; i++) anti[i * size + (size - 1 - i)] = 1;
  return [
    tf.layers.permute({ dims: [1, 3, 2], name: 'graft_mirror_width_last' }),
    tf.layers.dense({ units: size, useBias: false, name: 'graft_mirror', weights: [own(tf.tensor2d(anti, [size, size]))] }),
    tf.layers.permute({ dims: [1, 3, 2], name: 'graft_mirror_width_back' }),
  ];
}

function concatWeightData(data: tfjs.io.ModelArtifacts['weightData']): ArrayBuffer {
  if (!data) return new ArrayBuffer(0);
  if (Array.isArray(data)) {
    const all = Buffer.concat(data.map((b) => Buffer.from(b)));
    return all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer;
  }
  return data as ArrayBuffer;
}

export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_');
}
