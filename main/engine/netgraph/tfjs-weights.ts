/**
 * Reads a TF.js model folder's weights without TF.js: model.json's `weightsManifest`
 * names the shard files of each group; the groups' bytes, concatenated in order, hold
 * the weights one after the other, each little-endian in its manifest `dtype` — or, when
 * it has a `quantization` entry, in the quantized dtype: uint8/uint16 values v stand for
 * v·scale + min, float16 for IEEE half floats (tfjs-core io/io_utils.ts `decodeWeights`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UnsupportedModelError } from './ir';

export interface WeightEntry {
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Float weights as float32; int32 weights (graph constants such as axes) as Int32Array. */
  values: Float32Array | Int32Array;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

export interface TfjsModelJson {
  modelTopology: Record<string, unknown>;
  format?: string;
  weightsManifest?: Array<{ paths: string[]; weights: ManifestEntry[] }>;
  signature?: unknown;
}

export function readTfjsModel(dir: string): { json: TfjsModelJson; weights: Map<string, WeightEntry> } {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as TfjsModelJson;
  const weights = new Map<string, WeightEntry>();
  for (const group of json.weightsManifest ?? []) {
    const bytes = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(dir, p))));
    let offset = 0;
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const stored = spec.quantization?.dtype ?? spec.dtype;
      const size = count * bytesPer(stored, spec.name);
      if (offset + size > bytes.length) throw new UnsupportedModelError(`the weight ${spec.name} runs past the end of its files (${bytes.length} bytes): the folder is damaged`);
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size);
      weights.set(spec.name, decode(spec, view, count));
      offset += size;
    }
  }
  return { json, weights };
}

function bytesPer(dtype: string, name: string): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'uint16':
    case 'float16':
      return 2;
    case 'uint8':
      return 1;
    default:
      throw new UnsupportedModelError(`the weight ${name} is stored as ${dtype}, which the compiler does not read`);
  }
}

function decode(spec: ManifestEntry, view: DataView, count: number): WeightEntry {
  const q = spec.quantization;
  if (spec.dtype === 'int32' && !q) {
    const values = new Int32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getInt32(i * 4, true);
    return { shape: spec.shape, dtype: 'int32', values };
  }
  if (spec.dtype !== 'float32' && !(q && (q.original_dtype ?? 'float32') === 'float32')) {
    throw new UnsupportedModelError(`the weight ${spec.name} has dtype ${spec.dtype}, which the compiler does not read`);
  }
  const values = new Float32Array(count);
  if (!q) {
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(i * 4, true);
  } else if (q.dtype === 'float16') {
    for (let i = 0; i < count; i++) values[i] = halfToFloat(view.getUint16(i * 2, true));
  } else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < count; i++) values[i] = (q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(i * 2, true)) * scale + min;
  } else {
    throw new UnsupportedModelError(`the weight ${spec.name} is quantized as ${q.dtype}, which the compiler does not read`);
  }
  return { shape: spec.shape, dtype: 'float32', values };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
