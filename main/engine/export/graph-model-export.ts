/**
 * Builds the standalone TF.js GRAPH model of a run whose backbone is a graph model
 * (e.g. TF Hub's MobileNet, which takes [0, 1] input): the backbone's GraphDef is cut
 * at its feature node, the [-1, 1] → backbone-range mapping is put in front of it,
 * and the head is appended as MatMul / BiasAdd / Relu / Softmax nodes whose weights
 * are Const nodes, so plain `tf.loadGraphModel` runs the whole thing. The same input
 * convention as the layers export: `[n, size, size, 3]` RGB in [-1, 1] → probabilities.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { GraftError } from '../errors';
import type { StoredModel } from '../model/stored-model';
import { foldStandardisation } from './head-folding';
import { EXPORT_INPUT_RANGE, INPUT_NAME, OUTPUT_NAME, type BuiltArtifacts, type ResolvedBackbone } from './layers-model-export';
import { readModelJsonFile, readWeightData, weightBytes } from './model-folder-io';

type WeightSpec = tfjs.io.WeightsManifestEntry;

interface NodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
  device?: string;
}

interface GraphDef {
  node: NodeDef[];
  library?: unknown;
  versions?: unknown;
}

const T_FLOAT = { type: 'DT_FLOAT' };
const T_INT32 = { type: 'DT_INT32' };
const NHWC = Buffer.from('NHWC').toString('base64');

/** Node name of an input reference: "^name" (control), "name:1" (second output) → "name". */
function nodeOf(ref: string): string {
  const name = ref.startsWith('^') ? ref.slice(1) : ref;
  const colon = name.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(name.slice(colon + 1)) ? name.slice(0, colon) : name;
}

export function buildGraphModelExport(stored: StoredModel, backbone: ResolvedBackbone): BuiltArtifacts {
  const { spec, dir } = backbone;
  const json = readModelJsonFile(dir);
  const graph = json.modelTopology as GraphDef;
  if (!graph || !Array.isArray(graph.node)) throw new GraftError('bad_model', `${dir}/model.json is not a TF.js graph model.`);
  const { specs, data } = readWeightData(dir, json.weightsManifest);
  const byName = new Map(graph.node.map((n) => [n.name, n]));

  const featureNode = spec.featureNode ?? singleOutput(graph, json.signature);
  if (!byName.has(featureNode)) {
    throw new GraftError('bad_model', `The backbone ${spec.id} has no node named ${featureNode}; its files differ from the ones the run was trained with.`);
  }

  // Keep only what the feature node depends on: the ImageNet logits and anything else
  // downstream of the features would be dead weight (and extra outputs) in the export.
  const keep = new Set<string>();
  const stack = [featureNode];
  while (stack.length) {
    const name = stack.pop()!;
    if (keep.has(name)) continue;
    const node = byName.get(name);
    if (!node) throw new GraftError('bad_model', `The backbone graph refers to a node ${name} that it does not define.`);
    keep.add(name);
    for (const ref of node.input ?? []) stack.push(nodeOf(ref));
  }
  const kept = graph.node.filter((n) => keep.has(n.name)).map((n) => structuredClone(n));
  const placeholders = kept.filter((n) => n.op === 'Placeholder');
  if (placeholders.length !== 1) {
    throw new GraftError('bad_model', `The backbone ${spec.id} has ${placeholders.length} inputs before its features; Graft exports graph backbones with exactly one image input.`);
  }
  const originalInput = placeholders[0].name;
  const taken = new Set(kept.map((n) => n.name));
  taken.delete(originalInput);
  const fresh = (name: string) => {
    if (taken.has(name)) throw new GraftError('bad_model', `The backbone ${spec.id} already has a node named ${name}; it cannot be exported as a graph model.`);
    taken.add(name);
    return name;
  };

  // Weights: the kept Const nodes' bytes, in the original order, then the new constants.
  const weightSpecs: WeightSpec[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  const source = Buffer.from(data);
  for (const w of specs) {
    const size = weightBytes(w);
    if (keep.has(w.name)) {
      weightSpecs.push(w);
      chunks.push(source.subarray(offset, offset + size));
    }
    offset += size;
  }
  const nodes: NodeDef[] = kept.filter((n) => n.name !== originalInput);
  const constant = (name: string, values: Float32Array | Int32Array, shape: number[]): string => {
    const dtype = values instanceof Int32Array ? 'int32' : 'float32';
    nodes.push({
      name: fresh(name),
      op: 'Const',
      attr: { dtype: dtype === 'int32' ? T_INT32 : T_FLOAT, value: { tensor: { dtype: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: shape.length ? { dim: shape.map((s) => ({ size: String(s) })) } : {} } } },
    });
    weightSpecs.push({ name, shape, dtype });
    chunks.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    return name;
  };
  const op = (name: string, opName: string, inputs: string[], attr: Record<string, unknown> = { T: T_FLOAT }): string => {
    nodes.push({ name: fresh(name), op: opName, input: inputs, attr });
    return name;
  };

  const size = spec.inputSize;
  const flip = stored.views.includes('flip');
  nodes.unshift({
    name: fresh(INPUT_NAME),
    op: 'Placeholder',
    attr: { dtype: T_FLOAT, shape: { shape: { dim: [{ size: '-1' }, { size: String(size) }, { size: String(size) }, { size: '3' }] } } },
  });
  let x = INPUT_NAME;
  if (flip) {
    // The mirrored copy goes after the originals in one batch of 2n; the two halves of
    // the output are averaged at the end.
    const axisW = constant('graft/mirror/axis', new Int32Array([2]), [1]);
    const mirrored = op('graft/mirror/ReverseV2', 'ReverseV2', [x, axisW], { T: T_FLOAT, Tidx: T_INT32 });
    const axisN = constant('graft/mirror/batch_axis', new Int32Array([0]), []);
    x = op('graft/mirror/ConcatV2', 'ConcatV2', [x, mirrored, axisN], { N: { i: '2' }, T: T_FLOAT, Tidx: T_INT32 });
  }
  const [lo, hi] = spec.inputRange;
  const scale = (hi - lo) / (EXPORT_INPUT_RANGE[1] - EXPORT_INPUT_RANGE[0]);
  const shift = lo - EXPORT_INPUT_RANGE[0] * scale;
  if (scale !== 1 || shift !== 0) {
    const s = constant('graft/input_range/scale', new Float32Array([scale]), []);
    const b = constant('graft/input_range/shift', new Float32Array([shift]), []);
    x = op('graft/input_range/Add', 'AddV2', [op('graft/input_range/Mul', 'Mul', [x, s]), b]);
  }
  for (const n of nodes) {
    if (n.input) n.input = n.input.map((ref) => (nodeOf(ref) === originalInput ? (ref.startsWith('^') ? `^${x}` : x) : ref));
  }

  const codesShape = constant('graft/codes/shape', new Int32Array([-1, stored.head.inputDim]), [2]);
  const codes = op('graft/codes', 'Reshape', [featureNode, codesShape], { T: T_FLOAT, Tshape: T_INT32 });
  const members = foldStandardisation(stored.head);
  const memberOutputs = members.map((layers, m) => {
    let h = codes;
    layers.forEach((l, n) => {
      const scope = `graft/head/member_${m + 1}/dense_${n + 1}`;
      const kernel = constant(`${scope}/kernel`, l.kernel, [l.inDim, l.outDim]);
      const bias = constant(`${scope}/bias`, l.bias, [l.outDim]);
      h = op(`${scope}/MatMul`, 'MatMul', [h, kernel], { T: T_FLOAT, transpose_a: { b: false }, transpose_b: { b: false } });
      h = op(`${scope}/BiasAdd`, 'BiasAdd', [h, bias], { T: T_FLOAT, data_format: { s: NHWC } });
      if (l.activation !== 'linear') {
        const kind = l.activation === 'relu' ? 'Relu' : 'Softmax';
        h = op(`${scope}/${kind}`, kind, [h]);
      }
    });
    return h;
  });
  let probs = memberOutputs[0];
  if (memberOutputs.length > 1) {
    const sum = op('graft/ensemble/AddN', 'AddN', memberOutputs, { N: { i: String(memberOutputs.length) }, T: T_FLOAT });
    probs = op('graft/ensemble/Mean', 'Mul', [sum, constant('graft/ensemble/weight', new Float32Array([1 / memberOutputs.length]), [])]);
  }
  const k = stored.classes.length;
  if (flip) {
    const viewsShape = constant('graft/views/shape', new Int32Array([2, -1, k]), [3]);
    const byView = op('graft/views/Reshape', 'Reshape', [probs, viewsShape], { T: T_FLOAT, Tshape: T_INT32 });
    const axis = constant('graft/views/axis', new Int32Array([0]), [1]);
    probs = op('graft/views/Mean', 'Mean', [byView, axis], { T: T_FLOAT, Tidx: T_INT32, keep_dims: { b: false } });
  }
  op(OUTPUT_NAME, 'Identity', [probs]);

  const all = Buffer.concat(chunks);
  const dims = (d: number[]) => ({ dim: d.map((s) => ({ size: String(s) })) });
  return {
    modelTopology: { node: nodes, library: graph.library ?? {}, versions: graph.versions ?? {} },
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer,
    format: 'graph-model',
    signature: {
      inputs: { [INPUT_NAME]: { name: `${INPUT_NAME}:0`, dtype: 'DT_FLOAT', tensorShape: dims([-1, size, size, 3]) } },
      outputs: { [OUTPUT_NAME]: { name: `${OUTPUT_NAME}:0`, dtype: 'DT_FLOAT', tensorShape: dims([-1, k]) } },
    },
    inputName: INPUT_NAME,
    outputName: OUTPUT_NAME,
    inputSize: size,
  };
}

/** The graph's one output node (feature-vector models), from its signature or its leaves. */
function singleOutput(graph: GraphDef, signature: unknown): string {
  const outputs = (signature as { outputs?: Record<string, { name: string }> } | undefined)?.outputs;
  if (outputs && Object.keys(outputs).length === 1) return nodeOf(Object.values(outputs)[0].name);
  const consumed = new Set(graph.node.flatMap((n) => (n.input ?? []).map(nodeOf)));
  const leaves = graph.node.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp');
  if (leaves.length !== 1) {
    throw new GraftError('bad_model', `Cannot tell which node of the backbone graph holds the features (${leaves.length} outputs). Set its feature node.`);
  }
  return leaves[0].name;
}
