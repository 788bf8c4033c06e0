/**
 * Finding a backbone's files on disk, and fetching them when they are nowhere.
 *
 * Order: a local models folder (engine option / GRAFT_MODELS_DIR, layout `<id>/model.json`
 * + weight files) → the per-user cache (`user-dirs.ts`) → a download from the backbone's
 * official URL, streamed into a temporary folder beside the cache entry, verified file by
 * file, then renamed into place in one step, so a cancelled, interrupted or failed
 * download never leaves a half-written backbone where Graft would load it.
 *
 * Verification: every file named by model.json must exist. When the registry has the
 * backbone's checksums (`checksums.ts`) each file's size and SHA-256 must match; a
 * backbone without published checksums gets its hashes pinned into
 * `graft-checksums.json` on first download (trust on first use) and checked against that
 * list on every later load. Without any list, each weight group's byte total must equal
 * what its manifest declares, which still catches truncated and missing shards.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GraftError } from '../errors';
import type { FileChecksums } from './checksums';
import { getBackbone, type BackboneSpec } from './registry';
import { modelsCacheDir } from './user-dirs';

export const PINNED_CHECKSUMS_FILE = 'graft-checksums.json';

export type WeightsOrigin = 'folder' | 'models-dir' | 'cache' | 'download';

export interface ResolvedWeights {
  /** Folder holding model.json (or saved_model.pb). */
  dir: string;
  from: WeightsOrigin;
}

export interface DownloadProgress {
  id: string;
  file: string;
  filesDone: number;
  files: number;
  receivedBytes: number;
  /** Total bytes of the whole download, when known in advance; else null. */
  totalBytes: number | null;
}

export interface ResolveOptions {
  /** Local models folder; defaults to GRAFT_MODELS_DIR. */
  modelsDir?: string;
  /** Per-user cache of downloaded backbones; defaults to `modelsCacheDir()`. */
  cacheDir?: string;
  /** Download when not found locally (default true). */
  allowDownload?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

/** Where a backbone's files are, downloading them if needed. */
export async function resolveWeights(spec: BackboneSpec, options: ResolveOptions = {}): Promise<ResolvedWeights> {
  if (spec.weightsOf) return resolveWeights(getBackbone(spec.weightsOf), options);
  if (spec.folder) {
    verifyModelFolder(spec.folder, spec);
    return { dir: spec.folder, from: 'folder' };
  }
  const modelsDir = options.modelsDir ?? process.env.GRAFT_MODELS_DIR;
  if (modelsDir) {
    const dir = path.join(modelsDir, spec.id);
    if (fs.existsSync(dir)) {
      verifyModelFolder(dir, spec);
      return { dir, from: 'models-dir' };
    }
  }
  const cacheDir = options.cacheDir ?? modelsCacheDir();
  const cached = path.join(cacheDir, spec.id);
  if (fs.existsSync(path.join(cached, entryFile(spec)))) {
    try {
      verifyModelFolder(cached, spec);
      return { dir: cached, from: 'cache' };
    } catch (err) {
      // A damaged cache entry is ours to replace; only say so if we cannot.
      if (options.allowDownload === false || !spec.source) throw err;
      fs.rmSync(cached, { recursive: true, force: true });
    }
  }
  if (options.allowDownload === false || !spec.source) throw noWeightsError(spec);
  await downloadBackbone(spec, cacheDir, options);
  return { dir: cached, from: 'download' };
}

/** Where a backbone would be found without downloading, or null. Never throws. */
export function locateWeights(spec: BackboneSpec, options: { modelsDir?: string; cacheDir?: string } = {}): ResolvedWeights | null {
  if (spec.weightsOf) return locateWeights(getBackbone(spec.weightsOf), options);
  if (spec.folder) return fs.existsSync(spec.folder) ? { dir: spec.folder, from: 'folder' } : null;
  const modelsDir = options.modelsDir ?? process.env.GRAFT_MODELS_DIR;
  if (modelsDir && fs.existsSync(path.join(modelsDir, spec.id, entryFile(spec)))) return { dir: path.join(modelsDir, spec.id), from: 'models-dir' };
  const cached = path.join(options.cacheDir ?? modelsCacheDir(), spec.id);
  if (fs.existsSync(path.join(cached, entryFile(spec)))) return { dir: cached, from: 'cache' };
  return null;
}

function entryFile(spec: Pick<BackboneSpec, 'format'>): string {
  return spec.format === 'saved_model' ? 'saved_model.pb' : 'model.json';
}

export function noWeightsError(spec: BackboneSpec): GraftError {
  const how = spec.source
    ? `download them (Graft does so automatically when online, from ${fileUrl(spec.source, 'model.json')})`
    : 'this backbone is not downloadable; copy its folder to this computer';
  return new GraftError('bad_model', `No backbone weights for ${spec.id}: ${how}, or set GRAFT_MODELS_DIR to a folder holding ${spec.id}/model.json.`);
}

// ---- verification ---------------------------------------------------------------------

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }> }>;
  format?: string;
}

/** Reads and parses `<dir>/model.json`, with errors that name the file. */
export function readModelJson(dir: string): ModelJson {
  const file = path.join(dir, 'model.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GraftError('bad_model', code === 'ENOENT' ? `The backbone folder ${dir} has no model.json: the file is missing.` : `Cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const json = JSON.parse(text) as ModelJson;
    if (!json || typeof json !== 'object' || !json.modelTopology) throw new Error('no modelTopology');
    return json;
  } catch (err) {
    throw new GraftError('bad_model', `${file} is not a TensorFlow.js model file (${(err as Error).message}); it may be truncated: replace the folder's files.`);
  }
}

/**
 * Checks that every file the model needs is present and whole. Throws GraftError naming
 * the first missing, truncated or altered file.
 */
export function verifyModelFolder(dir: string, spec?: Pick<BackboneSpec, 'id' | 'format' | 'files'>): void {
  if (spec?.format === 'saved_model') {
    for (const f of ['saved_model.pb', 'variables']) {
      if (!fs.existsSync(path.join(dir, f))) throw new GraftError('bad_model', `${path.join(dir, f)} is missing: ${dir} is not a complete TensorFlow SavedModel folder.`);
    }
    return;
  }
  const json = readModelJson(dir);
  const groups = json.weightsManifest ?? [];
  for (const g of groups) {
    for (const p of g.paths) {
      if (!fs.existsSync(path.join(dir, p))) {
        throw new GraftError('bad_model', `The weight file ${p} is missing from ${dir}. Copy the backbone's complete folder again${spec ? `, or delete the folder so Graft downloads ${spec.id}` : ''}.`);
      }
    }
  }
  const list = spec?.files ?? readPinned(dir);
  if (list) {
    for (const [name, [sha, bytes]] of Object.entries(list)) {
      const file = path.join(dir, name);
      if (!fs.existsSync(file)) throw new GraftError('bad_model', `The weight file ${name} is missing from ${dir}.`);
      const size = fs.statSync(file).size;
      if (size !== bytes) {
        throw new GraftError('bad_model', `The weight file ${name} in ${dir} is ${size < bytes ? 'truncated' : 'too long'} (${size} bytes, expected ${bytes}). Replace it with the original file.`);
      }
      const actual = sha256File(file);
      if (actual !== sha) {
        throw new GraftError('bad_model', `The weight file ${name} in ${dir} does not match its checksum (sha256 ${actual.slice(0, 12)}…, expected ${sha.slice(0, 12)}…): it is damaged or a different model. Replace the folder's files.`);
      }
    }
    return;
  }
  checkManifestSizes(dir, groups);
}

/** Without checksums: each group's shards must add up to the bytes its weights declare. */
function checkManifestSizes(dir: string, groups: NonNullable<ModelJson['weightsManifest']>): void {
  for (const g of groups) {
    const expected = g.weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1) * bytesPerElement(w.quantization?.dtype ?? w.dtype), 0);
    const sizes = g.paths.map((p) => fs.statSync(path.join(dir, p)).size);
    const actual = sizes.reduce((a, b) => a + b, 0);
    if (actual === expected) continue;
    // The converter writes equal shards and a shorter last one: a shard shorter than the
    // first (or a last shard that does not make up the total) is the damaged one.
    let bad = g.paths.length - 1;
    for (let i = 0; i < g.paths.length - 1; i++) if (sizes[i] !== sizes[0]) bad = i;
    throw new GraftError('bad_model', `The weight file ${g.paths[bad]} in ${dir} is ${actual < expected ? 'truncated' : 'too long'}: its group holds ${actual} bytes where model.json declares ${expected}. Replace it with the original file.`);
  }
}

function bytesPerElement(dtype: string): number {
  switch (dtype) {
    case 'uint8':
    case 'int8':
    case 'bool':
      return 1;
    case 'uint16':
    case 'int16':
    case 'float16':
      return 2;
    default:
      return 4;
  }
}

function readPinned(dir: string): FileChecksums | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, PINNED_CHECKSUMS_FILE), 'utf8')) as FileChecksums;
  } catch {
    return null;
  }
}

export function sha256File(file: string): string {
  // Weights are verified each time a network starts; a file unchanged since it was last
  // hashed (same size and modification time) is not read again.
  const stat = fs.statSync(file);
  const known = hashed.get(file);
  if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known.sha;
  const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  hashed.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, sha });
  return sha;
}

const hashed = new Map<string, { size: number; mtimeMs: number; sha: string }>();

/** Per-file checksums of a folder, in the registry's format (for pinning and for adding entries). */
export function computeChecksums(dir: string, names: string[]): FileChecksums {
  const out: Record<string, readonly [string, number]> = {};
  for (const n of names) out[n] = [sha256File(path.join(dir, n)), fs.statSync(path.join(dir, n)).size] as const;
  return out;
}

// ---- download -------------------------------------------------------------------------

function fileUrl(source: NonNullable<BackboneSpec['source']>, name: string): string {
  return `${source.baseUrl.replace(/\/+$/, '')}/${name}${source.query ?? ''}`;
}

/**
 * Downloads a backbone into `<cacheDir>/<id>` atomically. Progress is reported per chunk;
 * cancelling with the signal throws GraftError('cancelled') and leaves nothing behind.
 */
export async function downloadBackbone(spec: BackboneSpec, cacheDir: string, options: Pick<ResolveOptions, 'signal' | 'onProgress'> = {}): Promise<string> {
  if (!spec.source) throw noWeightsError(spec);
  const source = spec.source;
  const final = path.join(cacheDir, spec.id);
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = path.join(cacheDir, `.download-${spec.id}-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tmp);
  try {
    const known = spec.files;
    const totalBytes = known ? Object.values(known).reduce((a, [, b]) => a + b, 0) : null;
    let received = 0;
    let filesDone = 0;
    const fetchOne = async (name: string, files: number): Promise<void> => {
      const url = fileUrl(source, name);
      const got = await fetchToFile(url, path.join(tmp, name), spec, options.signal, (n) => {
        received += n;
        options.onProgress?.({ id: spec.id, file: name, filesDone, files, receivedBytes: received, totalBytes });
      });
      const expected = known?.[name];
      if (expected && (got.sha256 !== expected[0] || got.bytes !== expected[1])) {
        throw new GraftError(
          'bad_model',
          `Checksum mismatch for ${url}: got ${got.bytes} bytes with sha256 ${got.sha256.slice(0, 12)}…, expected ${expected[1]} bytes with ${expected[0].slice(0, 12)}…. The download was damaged or the file changed upstream: try again, or download the folder yourself and set GRAFT_MODELS_DIR to a folder holding ${spec.id}/model.json.`,
        );
      }
      filesDone++;
    };

    // model.json first: it names the weight files when the registry does not.
    const planned = known ? Object.keys(known) : null;
    const files = planned ? planned.length : 0;
    await fetchOne('model.json', files || 1);
    const json = readModelJson(tmp);
    const names = planned ?? ['model.json', ...(json.weightsManifest ?? []).flatMap((g) => g.paths)];
    for (const name of names) {
      if (name === 'model.json') continue;
      if (path.basename(name) !== name) throw new GraftError('bad_model', `${fileUrl(source, 'model.json')} names a weight file outside its folder (${name}); refusing to download it.`);
      await fetchOne(name, names.length);
    }
    verifyModelFolder(tmp, { id: spec.id, format: spec.format, files: known });
    if (!known) fs.writeFileSync(path.join(tmp, PINNED_CHECKSUMS_FILE), JSON.stringify(computeChecksums(tmp, names), null, 1));
    try {
      fs.renameSync(tmp, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another Graft finished the same download first: theirs is as good as ours.
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && fs.existsSync(path.join(final, 'model.json'))) {
        fs.rmSync(tmp, { recursive: true, force: true });
      } else throw err;
    }
    return final;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function fetchToFile(
  url: string,
  file: string,
  spec: BackboneSpec,
  signal: AbortSignal | undefined,
  onBytes: (n: number) => void,
): Promise<{ bytes: number; sha256: string }> {
  const offline = (why: string) =>
    new GraftError(
      'io',
      `Cannot download ${spec.id} from ${url} (${why}). If this computer is offline, copy the backbone's folder here and set GRAFT_MODELS_DIR to a folder holding ${spec.id}/model.json.`,
    );
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    if (signal?.aborted) throw new GraftError('cancelled', `Download of ${spec.id} cancelled.`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw offline(cause?.code ?? cause?.message ?? (err as Error).message);
  }
  if (!response.ok || !response.body) throw offline(`HTTP ${response.status} ${response.statusText}`.trim());
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const hash = createHash('sha256');
  const out = fs.createWriteStream(file);
  let bytes = 0;
  try {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
      bytes += value.length;
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
      onBytes(value.length);
    }
  } catch (err) {
    out.destroy();
    if (signal?.aborted) throw new GraftError('cancelled', `Download of ${spec.id} cancelled.`);
    throw new GraftError('io', `The download of ${url} was interrupted after ${bytes} bytes (${(err as Error).message}). Check the connection and try again; nothing was kept.`);
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  if (Number.isFinite(declared) && bytes !== declared) {
    throw new GraftError('io', `The download of ${url} was interrupted: got ${bytes} of ${declared} bytes. Check the connection and try again; nothing was kept.`);
  }
  return { bytes, sha256: hash.digest('hex') };
}

// ---- loading from disk ----------------------------------------------------------------

/**
 * A TF.js IO handler reading a model folder from disk. Works with every backend (the
 * `file://` scheme exists only with tfjs-node).
 */
export function folderIOHandler(dir: string): import('@tensorflow/tfjs').io.IOHandler {
  return {
    load: async () => {
      const json = readModelJson(dir) as ModelJson & Record<string, unknown>;
      const groups = json.weightsManifest ?? [];
      const buffers = groups.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology as {},
        format: json.format,
        generatedBy: json.generatedBy as string | undefined,
        convertedBy: json.convertedBy as string | null | undefined,
        signature: json.signature as object | undefined,
        userDefinedMetadata: json.userDefinedMetadata as { [key: string]: {} } | undefined,
        modelInitializer: json.modelInitializer as object | undefined,
        weightSpecs: groups.flatMap((g) => g.weights) as import('@tensorflow/tfjs').io.WeightsManifestEntry[],
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}
