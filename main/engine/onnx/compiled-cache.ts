/**
 * Compiled backbones on disk, per user (`<cache>/onnx`, beside the downloaded weights;
 * see main/engine/tf/user-dirs.ts), so a network is compiled once, not at every start.
 *
 * A file is named `<id>-<size>-<key>.onnx`; the key is a SHA-256 over everything the
 * bytes depend on: COMPILER_VERSION, the ONNX IR and opset versions, the spec's format,
 * input size and range, feature layer or node and pooling, and the checksums of the
 * weight files (the registry's list, the folder's pinned list, or hashes computed from
 * the files when it has neither). Changed weights or a new compiler give a new key: the
 * model is compiled again and the stale files of that id and size are removed. Files
 * are written to a temporary name and renamed into place, so a reader never sees half
 * of one and two processes compiling the same model at once both end up with a whole file.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { getBackbone, type BackboneSpec } from '../tf/registry';
import { userCacheDir } from '../tf/user-dirs';
import { computeChecksums, PINNED_CHECKSUMS_FILE } from '../tf/weights';
import type { FileChecksums } from '../tf/checksums';
import { backboneGraph, withRgbBytesInput } from '../netgraph/backbone-graph';
import { ONNX_IR_VERSION, ONNX_OPSET, writeOnnx } from './onnx-writer';

/** Bump whenever a front end, the optimiser or the writer changes the bytes they produce. */
export const COMPILER_VERSION = 1;

export function compiledModelsDir(): string {
  return path.join(userCacheDir(), 'onnx');
}

export interface CompiledBackbone {
  /** The ONNX model: input "image" uint8 `[n, size, size, 3]` RGB bytes, output "features" `[n, dim]` (read from `file` on a cache hit). */
  readonly bytes: Uint8Array;
  file: string;
  from: 'cache' | 'compiled';
  key: string;
}

export interface CompileCacheOptions {
  /** Default `compiledModelsDir()`. */
  cacheDir?: string;
  /** Compile even when a file for the key exists (it was found damaged). */
  force?: boolean;
}

/**
 * The compiled ONNX model of a backbone whose files are in `weightsDir` (as resolved by
 * main/engine/tf/weights.ts), from the cache or compiled now. Throws UnsupportedModelError
 * (netgraph/ir.ts) when the network cannot be compiled.
 */
export function compiledBackbone(spec: BackboneSpec, weightsDir: string, options: CompileCacheOptions = {}): CompiledBackbone {
  const dir = options.cacheDir ?? compiledModelsDir();
  const key = compileKey(spec, weightsDir);
  const stem = `${safeName(spec.id)}-${spec.inputSize}-`;
  const file = path.join(dir, `${stem}${key.slice(0, 24)}.onnx`);
  if (!options.force) {
    try {
      // Read only when asked: sessions load the file themselves, off the event loop.
      if (fs.statSync(file).size > 0) {
        return {
          get bytes() {
            const bytes = fs.readFileSync(file);
            return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
          },
          file,
          from: 'cache',
          key,
        };
      }
    } catch {
      // Not compiled yet (or unreadable): compile below.
    }
  }
  const compiled = backboneGraph(spec, weightsDir);
  const bytes = writeOnnx(withRgbBytesInput(compiled.graph, spec.inputRange), {
    docString: `${spec.name}: Graft's preprocessed RGB bytes (centre square, ${spec.inputSize} px) → ${compiled.dim}-d codes`,
    metadata: { 'graft.backbone': spec.id, 'graft.compiler': String(COMPILER_VERSION), 'graft.key': key },
    graphName: spec.id,
  });
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  for (const name of fs.readdirSync(dir)) {
    const stale = name.startsWith(stem) && /^[0-9a-f]{24}\.onnx$/.test(name.slice(stem.length)) && path.join(dir, name) !== file;
    if (stale) fs.rmSync(path.join(dir, name), { force: true });
  }
  return { bytes, file, from: 'compiled', key };
}

/** The cache key of a backbone's compiled model (hex SHA-256). */
export function compileKey(spec: BackboneSpec, weightsDir: string): string {
  const described = {
    compiler: COMPILER_VERSION,
    onnx: [ONNX_IR_VERSION, ONNX_OPSET],
    input: 'rgb-bytes',
    format: spec.format,
    inputSize: spec.inputSize,
    inputRange: spec.inputRange,
    featureLayer: spec.featureLayer ?? null,
    featureNode: spec.featureNode ?? null,
    pooling: spec.pooling,
    weights: sortedEntries(weightChecksums(spec, weightsDir)),
  };
  return createHash('sha256').update(JSON.stringify(described)).digest('hex');
}

function weightChecksums(spec: BackboneSpec, dir: string): FileChecksums {
  const base = spec.weightsOf ? getBackbone(spec.weightsOf) : spec;
  // The registry's list: resolveWeights verified the folder against it.
  if (base.files) return base.files;
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, PINNED_CHECKSUMS_FILE), 'utf8')) as FileChecksums;
  } catch {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest?: Array<{ paths: string[] }> };
    return computeChecksums(dir, ['model.json', ...(json.weightsManifest ?? []).flatMap((g) => g.paths)]);
  }
}

function sortedEntries(list: FileChecksums): Array<[string, string, number]> {
  return Object.entries(list)
    .map(([name, [sha, bytes]]) => [name, sha, bytes] as [string, string, number])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}
