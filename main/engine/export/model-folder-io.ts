/**
 * Reading and writing TF.js model folders (`model.json` + weight files) on disk
 * without tfjs-node's `file://` handler, which is not always there: the folder
 * becomes in-memory `ModelArtifacts` for `tf.io.fromMemory`, and artifacts become
 * one `model.json` and one `weights.bin` (the layout Teachable Machine exports).
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { GraftError } from '../errors';

type ModelArtifacts = tfjs.io.ModelArtifacts;
type WeightsManifestEntry = tfjs.io.WeightsManifestConfig[number];
type WeightSpec = tfjs.io.WeightsManifestEntry;

export interface ModelJsonFile {
  modelTopology: unknown;
  weightsManifest: WeightsManifestEntry[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  trainingConfig?: unknown;
}

export function readModelJsonFile(dir: string): ModelJsonFile {
  const file = path.join(dir, 'model.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GraftError('bad_model', code === 'ENOENT' ? `${dir} has no model.json: choose the folder a Graft export wrote.` : `Cannot read ${file}: ${(err as Error).message}`);
  }
  let json: ModelJsonFile;
  try {
    json = JSON.parse(text) as ModelJsonFile;
  } catch (err) {
    throw new GraftError('bad_model', `${file} is not valid JSON (${(err as Error).message}); the export may be damaged: export again.`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new GraftError('bad_model', `${file} is not a TensorFlow.js model (no modelTopology or weightsManifest).`);
  }
  return json;
}

/** All weight files of a model folder, concatenated in manifest order, checked for size. */
export function readWeightData(dir: string, manifest: WeightsManifestEntry[]): { specs: WeightSpec[]; data: ArrayBuffer } {
  const specs: WeightSpec[] = [];
  const buffers: Buffer[] = [];
  for (const group of manifest) {
    const groupBuffers = group.paths.map((p) => {
      const file = path.join(dir, p);
      try {
        return fs.readFileSync(file);
      } catch (err) {
        throw new GraftError('bad_model', `Weight file ${file} is missing or unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
      }
    });
    const have = groupBuffers.reduce((a, b) => a + b.length, 0);
    const want = group.weights.reduce((a, w) => a + weightBytes(w), 0);
    if (have !== want) {
      throw new GraftError('bad_model', `Weight files ${group.paths.join(', ')} in ${dir} hold ${have} bytes, but model.json declares ${want}: the files are truncated or do not belong together.`);
    }
    specs.push(...group.weights);
    buffers.push(...groupBuffers);
  }
  const all = Buffer.concat(buffers);
  return { specs, data: all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer };
}

/** Bytes a weight occupies in a weight file (quantised weights are smaller). */
export function weightBytes(w: WeightSpec): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  if (w.quantization) {
    const q = w.quantization.dtype;
    return n * (q === 'uint8' ? 1 : q === 'float16' || q === 'uint16' ? 2 : 4);
  }
  if (w.dtype === 'string') {
    throw new GraftError('bad_model', `Weight ${w.name} holds strings; Graft exports only numeric weights.`);
  }
  return n * (w.dtype === 'bool' ? 1 : 4);
}

/** A model folder as in-memory artifacts for `tf.io.fromMemory`. */
export function readModelArtifacts(dir: string): ModelArtifacts {
  const json = readModelJsonFile(dir);
  const { specs, data } = readWeightData(dir, json.weightsManifest);
  const artifacts: ModelArtifacts = {
    modelTopology: json.modelTopology as ModelArtifacts['modelTopology'],
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: data,
  };
  if (json.signature) artifacts.signature = json.signature as object;
  if (json.userDefinedMetadata) artifacts.userDefinedMetadata = json.userDefinedMetadata as Record<string, object>;
  if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig as ModelArtifacts['trainingConfig'];
  return artifacts;
}

/**
 * Writes `model.json` + `weights.bin` into `dir` (a staging folder). Returns the
 * files written, relative to `dir`, with their sizes.
 */
export function writeModelFolder(
  dir: string,
  artifacts: { modelTopology: unknown; weightSpecs: WeightSpec[]; weightData: ArrayBuffer; format: string; generatedBy: string; convertedBy?: string | null; signature?: unknown; userDefinedMetadata?: Record<string, unknown> },
): Array<{ file: string; bytes: number }> {
  const weights = Buffer.from(artifacts.weightData);
  const modelJson: Record<string, unknown> = {
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  if (artifacts.signature) modelJson.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  const text = JSON.stringify(modelJson);
  fs.writeFileSync(path.join(dir, 'weights.bin'), weights);
  fs.writeFileSync(path.join(dir, 'model.json'), text);
  return [
    { file: 'model.json', bytes: Buffer.byteLength(text) },
    { file: 'weights.bin', bytes: weights.length },
  ];
}
