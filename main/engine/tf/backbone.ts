/**
 * A loaded backbone: one shape for every network Graft uses (tfjs-models' `load()` →
 * interface pattern). `loadBackbone` resolves the weights, loads the model, compiles the
 * fast forward path when it can, and runs one warm-up inference so the first real batch
 * does not pay for kernel set-up.
 *
 *   const bb = await loadBackbone('mobilenet_v1_0.75_224', { modelsDir });
 *   const x = await preprocessBatch(bb.tf, files, bb.spec);
 *   const codes = bb.embed(x);             // [n, bb.dim], caller disposes
 *   x.dispose(); codes.dispose(); bb.dispose();
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { GraftError } from '../errors';
import { compileFastForward, type FastForward } from './fold';
import { atInputSize } from './input-size';
import { decodeForNetwork, toNetworkRange, type ImageSource, type PreprocessOptions } from './preprocess';
import { getBackbone, saveUserBackbone, type BackboneSpec, type ModelFormat } from './registry';
import { getTf, type RuntimeName, type Tf } from './runtime';
import { folderIOHandler, readModelJson, resolveWeights, verifyModelFolder, type ResolveOptions, type ResolvedWeights } from './weights';

export interface Backbone {
  readonly id: string;
  readonly spec: BackboneSpec;
  /** Length of one code. */
  readonly dim: number;
  readonly inputSize: number;
  readonly runtime: RuntimeName;
  readonly tf: Tf;
  readonly weights: ResolvedWeights;
  /** The original layers model (whole network, ImageNet head included when it has one); null for graph models. */
  readonly layersModel: tfjs.LayersModel | null;
  readonly graphModel: tfjs.GraphModel | null;
  /** True when `embed` runs the batch-norm-folded, fused path (`fold.ts`). */
  readonly fast: boolean;
  /** Why the fast path is not in use, when it is not. */
  readonly slowReason: string | null;
  /** `[n, size, size, 3]` already in the network's input range → `[n, dim]` codes. Caller owns the result. */
  embed(batch: tfjs.Tensor4D): tfjs.Tensor2D;
  /** Preprocesses and embeds a few images (prediction, tests); leaves no tensors behind. */
  embedImages(sources: ImageSource[], options?: PreprocessOptions): Promise<Float32Array[]>;
  dispose(): void;
}

export interface LoadOptions extends ResolveOptions {
  /** Use the folded/fused forward path when the model allows it (default true). */
  fast?: boolean;
  /** Skip resolution and verification: load from this folder (workers, after the main thread verified it). */
  weightsDir?: string;
  /** Weights a fine-tuned run changed, applied before the fast path is compiled (it folds the current weights). */
  tunedLayers?: TunedLayer[];
}

/** One layer's weights as a fine-tuned model stores them. */
export interface TunedLayer {
  name: string;
  weights: Array<{ shape: number[]; values: Float32Array }>;
}

/** Loads a backbone by id (or spec), ready for inference. */
export async function loadBackbone(idOrSpec: string | BackboneSpec, options: LoadOptions = {}): Promise<Backbone> {
  const spec = typeof idOrSpec === 'string' ? getBackbone(idOrSpec) : idOrSpec;
  const { tf, runtime } = await getTf();
  const weights: ResolvedWeights = options.weightsDir ? { dir: options.weightsDir, from: 'folder' } : await resolveWeights(spec, options);
  const loaded = await loadModel(tf, runtime, spec.format, weights.dir, spec);
  if (options.tunedLayers?.length) applyTunedLayers(tf, spec.id, loaded.layers, options.tunedLayers);

  let fast: FastForward | null = null;
  let slowReason: string | null = null;
  let truncated: tfjs.LayersModel | null = null;
  if (loaded.layers) {
    if (options.fast !== false) {
      const compiled = compileFastForward(tf, loaded.layers, { featureLayer: spec.featureLayer, pooling: spec.pooling });
      if (compiled.ok) fast = compiled.fast;
      else slowReason = compiled.reason;
    } else slowReason = 'the fast path was turned off';
    if (!fast) truncated = truncateAt(tf, loaded.layers, spec.featureLayer);
  }

  const embedRaw = (x: tfjs.Tensor4D): tfjs.Tensor2D =>
    tf.tidy(() => {
      let y: tfjs.Tensor;
      if (fast) return fast.forward(x);
      if (truncated) y = truncated.predict(x) as tfjs.Tensor;
      else if (loaded.graph) y = spec.featureNode ? (loaded.graph.execute(x, spec.featureNode) as tfjs.Tensor) : (loaded.graph.predict(x) as tfjs.Tensor);
      else y = savedModelOutput(loaded.saved!, x, spec.featureNode);
      if (spec.pooling === 'avg' && y.rank === 4) y = tf.mean(y, [1, 2]);
      return (y.rank === 2 ? y : tf.reshape(y, [y.shape[0], -1])) as tfjs.Tensor2D;
    });

  // Warm-up: also tells us the real feature dimension, checked against the spec.
  const probe = tf.tidy(() => embedRaw(tf.zeros([1, spec.inputSize, spec.inputSize, 3]) as tfjs.Tensor4D));
  const dim = probe.shape[1];
  probe.dispose();
  if (spec.dim && dim !== spec.dim) {
    disposeAll();
    throw new GraftError('bad_model', `The backbone ${spec.id} in ${weights.dir} gives ${dim}-d features where ${spec.dim} were expected: the folder holds a different model. Replace it with the right files.`);
  }

  function disposeAll(): void {
    fast?.dispose();
    loaded.layers?.dispose();
    loaded.graph?.dispose();
    (loaded.saved as { dispose?: () => void } | null)?.dispose?.();
  }

  const size = spec.inputSize;
  return {
    id: spec.id,
    spec,
    dim,
    inputSize: size,
    runtime,
    tf,
    weights,
    layersModel: loaded.layers,
    graphModel: loaded.graph,
    fast: Boolean(fast),
    slowReason,
    embed: embedRaw,
    async embedImages(sources, opts = {}) {
      const per = size * size * 3;
      const values = new Float32Array(sources.length * per);
      const decoded = await Promise.all(sources.map((s) => decodeForNetwork(s, size, opts)));
      decoded.forEach((rgb, i) => toNetworkRange(rgb, spec.inputRange, values, i * per));
      const out = tf.tidy(() => embedRaw(tf.tensor4d(values, [sources.length, size, size, 3])));
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return sources.map((_, i) => data.slice(i * dim, (i + 1) * dim));
    },
    dispose: disposeAll,
  };
}

interface LoadedModel {
  layers: tfjs.LayersModel | null;
  graph: tfjs.GraphModel | null;
  saved: unknown;
}

async function loadModel(tf: Tf, runtime: RuntimeName, format: ModelFormat, dir: string, spec: Pick<BackboneSpec, 'id' | 'savedModel' | 'inputSize'>): Promise<LoadedModel> {
  try {
    // An entry may feed the network other image sizes than its files fix (registry `atSize`).
    if (format === 'layers') return { layers: await atInputSize(tf, await tf.loadLayersModel(folderIOHandler(dir)), spec.inputSize), graph: null, saved: null };
    if (format === 'graph') return { layers: null, graph: await tf.loadGraphModel(folderIOHandler(dir)), saved: null };
  } catch (err) {
    if (err instanceof GraftError) throw err;
    throw new GraftError('bad_model', `Cannot load the backbone ${spec.id} from ${dir}: ${(err as Error).message.split('\n')[0]}. The folder may hold a different kind of model or damaged files.`);
  }
  // SavedModel: only native TensorFlow can run one.
  const node = (tf as unknown as { node?: { loadSavedModel(dir: string, tags?: string[], signature?: string): Promise<unknown> } }).node;
  if (runtime !== 'tfjs-node' || !node) {
    throw new GraftError('no_runtime', `${spec.id} is a TensorFlow SavedModel, which needs the native TensorFlow runtime (@tensorflow/tfjs-node); it is not available here. Convert the model to TF.js format with tensorflowjs_converter, or install tfjs-node.`);
  }
  const saved = await node.loadSavedModel(dir, spec.savedModel?.tags ?? ['serve'], spec.savedModel?.signature ?? 'serving_default');
  return { layers: null, graph: null, saved };
}

function savedModelOutput(saved: unknown, x: tfjs.Tensor, output: string | undefined): tfjs.Tensor {
  const out = (saved as { predict(x: tfjs.Tensor): tfjs.Tensor | tfjs.Tensor[] | Record<string, tfjs.Tensor> }).predict(x);
  if (out && typeof out === 'object' && !Array.isArray(out) && !('dataSync' in out)) {
    const map = out as Record<string, tfjs.Tensor>;
    const key = output ?? Object.keys(map)[0];
    if (!map[key]) throw new GraftError('bad_model', `The SavedModel has no output named ${key}; it has ${Object.keys(map).join(', ')}.`);
    return map[key];
  }
  return Array.isArray(out) ? out[0] : (out as tfjs.Tensor);
}

function applyTunedLayers(tf: Tf, id: string, model: tfjs.LayersModel | null, layers: TunedLayer[]): void {
  if (!model) throw new GraftError('bad_model', `${id} is not a layers model, but the stored model fine-tuned it.`);
  for (const l of layers) {
    let layer: tfjs.layers.Layer;
    try {
      layer = model.getLayer(l.name);
    } catch {
      throw new GraftError('bad_model', `The backbone ${id} has no layer ${l.name}, which the model fine-tuned. The backbone's files changed; train again.`);
    }
    const tensors = l.weights.map((w) => tf.tensor(w.values, w.shape));
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
}

function truncateAt(tf: Tf, model: tfjs.LayersModel, featureLayer: string | undefined): tfjs.LayersModel {
  if (!featureLayer) return model;
  let layer: tfjs.layers.Layer;
  try {
    layer = model.getLayer(featureLayer);
  } catch {
    throw new GraftError('bad_model', `The model has no layer named ${featureLayer}. Choose one of its layers as the feature layer.`);
  }
  return tf.model({ inputs: model.inputs, outputs: layer.output as tfjs.SymbolicTensor });
}

// ---- user-added backbones -------------------------------------------------------------

export interface ModelCandidate {
  /** Layer name (layers models) or node name (graph models). */
  name: string;
  /** Output shape with -1/null for the batch. */
  shape: Array<number | null>;
}

export interface FolderInspection {
  format: ModelFormat;
  inputSize: number | null;
  /** Layers or nodes that could serve as features, last first. */
  candidates: ModelCandidate[];
}

/** Looks inside a model folder so a person can choose its feature layer or node. */
export function inspectModelFolder(folder: string): FolderInspection {
  const dir = path.resolve(folder);
  if (fs.existsSync(path.join(dir, 'saved_model.pb'))) return { format: 'saved_model', inputSize: null, candidates: [] };
  verifyModelFolder(dir);
  const json = readModelJson(dir) as { modelTopology: Record<string, unknown>; format?: string };
  const topo = json.modelTopology;
  const cfg = (topo.model_config as { config?: unknown } | undefined)?.config ?? (topo.config as unknown);
  if (cfg && typeof cfg === 'object' && Array.isArray((cfg as { layers?: unknown }).layers)) {
    const layers = (cfg as { layers: Array<{ name: string; class_name: string; config: Record<string, unknown> }> }).layers;
    const input = layers.find((l) => l.class_name === 'InputLayer');
    const shape = (input?.config.batch_input_shape ?? input?.config.batchInputShape) as Array<number | null> | undefined;
    const wanted = new Set(['Activation', 'ReLU', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Add', 'Concatenate', 'Dense', 'Flatten', 'BatchNormalization']);
    return {
      format: 'layers',
      inputSize: shape && typeof shape[1] === 'number' ? shape[1] : null,
      candidates: layers.filter((l) => wanted.has(l.class_name)).reverse().map((l) => ({ name: l.name, shape: [] })),
    };
  }
  const nodes = (topo.node as Array<{ name: string; op: string; attr?: Record<string, { shape?: { dim?: Array<{ size: string }> } }> }> | undefined) ?? [];
  const placeholder = nodes.find((n) => n.op === 'Placeholder');
  const dims = placeholder?.attr?.shape?.shape?.dim?.map((d) => Number(d.size));
  const poolOps = new Set(['Mean', 'AvgPool', 'Squeeze', 'Reshape', 'Relu6', 'Relu', 'MatMul', 'BiasAdd', 'Identity']);
  return {
    format: 'graph',
    inputSize: dims && dims[1] > 0 ? dims[1] : null,
    candidates: nodes.filter((n) => poolOps.has(n.op)).reverse().map((n) => ({ name: n.name, shape: [] })),
  };
}

export interface AddBackboneOptions {
  folder: string;
  id: string;
  name?: string;
  featureLayer?: string;
  featureNode?: string;
  inputSize?: number;
  inputRange?: [number, number];
  pooling?: 'avg' | 'none';
}

/**
 * Adds a user backbone from a folder: loads it, runs it once to learn its feature
 * dimension, and records it in the user's backbone list.
 */
export async function addUserBackbone(options: AddBackboneOptions): Promise<BackboneSpec> {
  const folder = path.resolve(options.folder);
  if (!fs.existsSync(folder)) throw new GraftError('not_found', `No folder at ${folder}.`);
  const seen = inspectModelFolder(folder);
  const inputSize = options.inputSize ?? seen.inputSize;
  if (!inputSize) throw new GraftError('invalid_params', `Cannot tell the input size of the model in ${folder}: give it explicitly (e.g. 224).`);
  const spec: BackboneSpec = {
    id: options.id,
    name: options.name ?? options.id,
    description: `Added from ${folder}`,
    format: seen.format,
    inputSize,
    inputRange: options.inputRange ?? [0, 1],
    featureLayer: seen.format === 'layers' ? options.featureLayer : undefined,
    featureNode: seen.format !== 'layers' ? options.featureNode : undefined,
    pooling: options.pooling ?? 'avg',
    dim: 0, // learnt below
    builtin: false,
    folder,
    savedModel: seen.format === 'saved_model' ? { tags: ['serve'], signature: 'serving_default' } : undefined,
  };
  const bb = await loadBackbone(spec, { fast: false });
  const learnt = { ...spec, dim: bb.dim };
  bb.dispose();
  saveUserBackbone(learnt);
  return learnt;
}
