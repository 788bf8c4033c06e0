/**
 * The stored form of a trained model (the `runs.weights` blob): everything needed to
 * rebuild the head for prediction and export, without the project's catalogue.
 *
 * Layout (little-endian):
 *
 *   bytes 0–7    ASCII magic "GRAFTHD1"
 *   bytes 8–11   uint32 H: length of the JSON header in bytes
 *   bytes 12…    H bytes of UTF-8 JSON (a `StoredModelHeader`), then zero padding to a
 *                multiple of 4 bytes
 *   then         float32 data; each tensor in the header names its `offset` (in floats,
 *                from the start of this data) and `shape`, row-major
 *
 * The header says how to compute, for one image:
 *   1. codes: for each entry of `backbones` in order, the backbone's pooled feature
 *      vector of the image (Graft's one preprocessing: centre crop, resize, scale to
 *      the network's range), concatenated → a vector of `inputDim` floats. When
 *      `views` holds "flip" too, steps 1–4 run on the image and on its horizontal
 *      mirror, and the two probability vectors are averaged.
 *   2. standardise: x = (x − mean) / std   (tensors "mean", "std", shape [inputDim])
 *   3. for each member, for each layer: x = x · kernel + bias (kernel [in, out]),
 *      then the layer's activation: "relu", "softmax" or "linear" (none). A trained
 *      member ends in softmax; the neighbour vote (vote.ts) has a softmax over the
 *      training images inside and ends linear, already in probabilities
 *   4. average the members' probabilities → one probability per entry of `classes`.
 *
 * `fineTuned` (present after fine-tuning) lists backbone layers whose weights replace
 * the backbone's published ones, by layer name, in the layer's own weight order.
 */
import type { View } from '../../../shared/api/codes';
import { GraftError } from '../errors';
import type { DenseParams, HeadParams } from './head';
import type { NoveltyCalibration } from './novelty';

const MAGIC = 'GRAFTHD1';
const ACTIVATIONS: ReadonlyArray<DenseParams['activation']> = ['relu', 'softmax', 'linear'];

export interface StoredTensor {
  offset: number;
  shape: number[];
}

export interface StoredModelHeader {
  format: 'graft-head';
  version: 1;
  classes: string[];
  backbones: Array<{ id: string; dim: number }>;
  /** Views averaged at prediction time: ["center"] or ["center", "flip"]. */
  views: View[];
  inputDim: number;
  mean: StoredTensor;
  std: StoredTensor;
  members: Array<{ layers: Array<{ kernel: StoredTensor; bias: StoredTensor; activation: DenseParams['activation'] }> }>;
  fineTuned?: { backbone: string; layers: Array<{ name: string; weights: StoredTensor[] }> };
  /** When photos are unlike anything the model was trained on (novelty.ts); absent in older models. */
  novelty?: NoveltyCalibration;
}

export interface StoredModel {
  classes: string[];
  backbones: Array<{ id: string; dim: number }>;
  views: View[];
  head: HeadParams;
  /** Replacement weights for backbone layers, by layer name (fine-tuning). */
  fineTuned?: { backbone: string; layers: Array<{ name: string; weights: Array<{ shape: number[]; values: Float32Array }> }> };
  /** When photos are unlike anything the model was trained on (novelty.ts); absent without a vote. */
  novelty?: NoveltyCalibration;
}

export function encodeModel(model: StoredModel): Buffer {
  const chunks: Float32Array[] = [];
  let offset = 0;
  const put = (values: Float32Array, shape: number[]): StoredTensor => {
    if (values.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`Tensor of shape ${shape} has ${values.length} values`);
    chunks.push(values);
    const t = { offset, shape };
    offset += values.length;
    return t;
  };
  const { head } = model;
  const header: StoredModelHeader = {
    format: 'graft-head',
    version: 1,
    classes: model.classes,
    backbones: model.backbones,
    views: model.views,
    inputDim: head.inputDim,
    mean: put(head.mean, [head.inputDim]),
    std: put(head.std, [head.inputDim]),
    members: head.members.map((m) => ({
      layers: m.layers.map((l) => ({
        kernel: put(l.kernel, [l.inDim, l.outDim]),
        bias: put(l.bias, [l.outDim]),
        activation: l.activation,
      })),
    })),
  };
  if (model.fineTuned) {
    header.fineTuned = {
      backbone: model.fineTuned.backbone,
      layers: model.fineTuned.layers.map((l) => ({ name: l.name, weights: l.weights.map((w) => put(w.values, w.shape)) })),
    };
  }
  if (model.novelty) header.novelty = model.novelty;
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerEnd = 12 + json.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const out = Buffer.alloc(dataStart + offset * 4);
  out.write(MAGIC, 0, 'ascii');
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  let at = dataStart;
  for (const c of chunks) {
    Buffer.from(c.buffer, c.byteOffset, c.byteLength).copy(out, at);
    at += c.byteLength;
  }
  return out;
}

export function decodeModel(blob: Uint8Array): StoredModel {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < 12 || buf.toString('ascii', 0, 8) !== MAGIC) {
    throw new GraftError('bad_model', 'The stored model is not in a format this version of Graft understands. Train again.');
  }
  const length = buf.readUInt32LE(8);
  const header = JSON.parse(buf.toString('utf8', 12, 12 + length)) as StoredModelHeader;
  if (header.format !== 'graft-head' || header.version !== 1) {
    throw new GraftError('bad_model', `Unsupported model format ${header.format} v${header.version}. Train again.`);
  }
  const unknown = header.members.flatMap((m) => m.layers).find((l) => !ACTIVATIONS.includes(l.activation));
  if (unknown) throw new GraftError('bad_model', `The stored model uses an activation this version of Graft does not know (${unknown.activation}). Update Graft or train again.`);
  const dataStart = Math.ceil((12 + length) / 4) * 4;
  // Copy once into an aligned array: the blob from SQLite may start at any byte.
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + dataStart, buf.byteOffset + buf.length));
  const take = (t: StoredTensor): Float32Array => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset + n > data.length) throw new GraftError('bad_model', 'The stored model is truncated. Train again.');
    return data.slice(t.offset, t.offset + n);
  };
  const head: HeadParams = {
    inputDim: header.inputDim,
    classCount: header.classes.length,
    mean: take(header.mean),
    std: take(header.std),
    members: header.members.map((m) => ({
      layers: m.layers.map((l) => ({
        inDim: l.kernel.shape[0],
        outDim: l.kernel.shape[1],
        kernel: take(l.kernel),
        bias: take(l.bias),
        activation: l.activation,
      })),
    })),
  };
  const model: StoredModel = { classes: header.classes, backbones: header.backbones, views: header.views, head };
  if (header.novelty) model.novelty = header.novelty;
  if (header.fineTuned) {
    model.fineTuned = {
      backbone: header.fineTuned.backbone,
      layers: header.fineTuned.layers.map((l) => ({ name: l.name, weights: l.weights.map((w) => ({ shape: w.shape, values: take(w) })) })),
    };
  }
  return model;
}
