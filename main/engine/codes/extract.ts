/**
 * Computes the codes a project is missing, and only those.
 *
 * One pass for every network asked for: images whose files are present and that lack a
 * (backbone, view) code are read in batches; each photo is decoded once per input size the
 * networks need (the default pair both take 320 px, so once), by sharp on libuv's thread
 * pool, while the networks run earlier batches in their own threads (ONNX Runtime sessions,
 * or TF.js extraction workers: backbone-runner.ts). Decoding is the larger cost once the
 * networks run on ONNX Runtime, so doing it once per photo rather than once per network
 * matters more than anything else here. Each network's codes of a batch are written in one
 * transaction, so a cancel, crash or kill loses at most the batches in flight, and the next
 * run computes only what is still missing.
 *
 * A file that cannot be decoded is reported (path and reason) and skipped, never fatal.
 */
import type { BackboneCodesSummary, CodesSummary, FailedImage } from '../../../shared/api/codes';
import { listMissing, writeCodes, type CodeRow } from '../catalogue/codes';
import type { Db } from '../catalogue/open';
import { GraftError } from '../errors';
import { startBackbone, type BackboneRunner } from '../inference/backbone-runner';
import { inferenceChoice } from '../inference/inference-runtime';
import { PixelSlabs } from '../inference/pixel-slabs';
import { decodeForNetwork, mirrorRows } from '../tf/preprocess';
import { embedImages } from './embed-images';
import { getBackbone, type BackboneSpec } from '../tf/registry';
import { getTf } from '../tf/runtime';
import { resolveWeights, type DownloadProgress } from '../tf/weights';
import type { View } from '../../../shared/api/codes';

export type { BackboneCodesSummary, CodesSummary, FailedImage };

export interface CodesProgress {
  stage: 'download' | 'load' | 'codes';
  /** The networks being run (download and load: the one concerned). */
  backbone: string;
  /** Codes computed (or failed) so far in this run, over every network (download: bytes). */
  done: number;
  /** Codes to compute in this run, over every network (download: bytes, 0 when unknown). */
  total: number;
  message?: string;
}

export interface EnsureCodesOptions {
  backbones: string[];
  /** Default ['center']. */
  views?: View[];
  /** Local models folder (engine option / GRAFT_MODELS_DIR). */
  modelsDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: CodesProgress) => void;
  /** TF.js extraction workers (default: one per core with wasm). */
  workers?: number;
  /** Images per inference call (default: what the runtime computes fastest, backbone-runner.ts). */
  batchSize?: number;
  /** TF.js: the folded/fused forward path (default true). */
  fast?: boolean;
  /** Only these images (default: every image with a present file). */
  imageIds?: number[];
}

/** One network's share of the pass. */
interface Part {
  spec: BackboneSpec;
  /** Image id → the views it lacks. */
  missing: Map<number, View[]>;
  cached: number;
  total: number;
  computed: number;
  failed: FailedImage[];
  runner: BackboneRunner | null;
  tensors: { afterFirstBatch: number; afterLastBatch: number };
}

/** Computes the missing codes of every listed backbone; see the module comment. */
export async function ensureCodes(db: Db, options: EnsureCodesOptions): Promise<CodesSummary> {
  const views: View[] = options.views?.length ? [...new Set(options.views)] : ['center'];
  const started = Date.now();
  const report = options.onProgress ?? (() => {});
  const paths = new Map<number, string[]>();
  const parts: Part[] = options.backbones.map((id) => {
    const spec = getBackbone(id);
    const { todo, cached } = listMissing(db, id, views, options.imageIds);
    const missing = new Map<number, View[]>();
    for (const t of todo) {
      missing.set(t.imageId, t.views);
      paths.set(t.imageId, t.paths);
    }
    const total = todo.reduce((a, t) => a + t.views.length, 0);
    return { spec, missing, cached, total, computed: 0, failed: [], runner: null, tensors: { afterFirstBatch: -1, afterLastBatch: -1 } };
  });
  const total = parts.reduce((a, p) => a + p.total, 0);
  const names = parts.map((p) => p.spec.name).join(' + ');
  let done = 0;
  let extractStarted = 0;
  try {
    for (const part of parts) {
      if (!part.total || options.signal?.aborted) continue;
      const weights = await resolveWeights(part.spec, {
        modelsDir: options.modelsDir,
        signal: options.signal,
        onProgress: (p: DownloadProgress) => report({ stage: 'download', backbone: part.spec.id, done: p.receivedBytes, total: p.totalBytes ?? 0, message: `${p.file} (${p.filesDone}/${p.files} files)` }),
      });
      if (options.signal?.aborted) break;
      report({ stage: 'load', backbone: part.spec.id, done: 0, total, message: `loading ${part.spec.name}` });
      part.runner = await startBackbone(part.spec, weights.dir, { workers: options.workers, fast: options.fast });
    }
    const working = parts.filter((p) => p.runner);
    if (!working.length) report({ stage: 'codes', backbone: parts.map((p) => p.spec.id).join(','), done: 0, total: 0 });
    if (working.length && !options.signal?.aborted) {
      report({ stage: 'codes', backbone: working.map((p) => p.spec.id).join(','), done: 0, total, message: names });
      extractStarted = Date.now();
      await runPass(db, working, [...paths.keys()].filter((id) => working.some((p) => p.missing.has(id))), paths, options, (n) => {
        done += n;
        report({ stage: 'codes', backbone: working.map((p) => p.spec.id).join(','), done: Math.min(done, total), total, message: names });
      });
    }
  } finally {
    await Promise.all(parts.map((p) => p.runner?.close()));
  }

  const seconds = (Date.now() - started) / 1000;
  const extractSeconds = extractStarted ? (Date.now() - extractStarted) / 1000 : 0;
  const fallback = (await runtimeWithoutRunners()) ?? 'wasm';
  const summaries: BackboneCodesSummary[] = parts.map((p) => ({
    backbone: p.spec.id,
    computed: p.computed,
    cached: p.cached,
    failed: p.failed,
    seconds: p.runner ? extractSeconds : 0,
    imagesPerSecond: p.runner && extractSeconds > 0 ? p.computed / extractSeconds : 0,
    runtime: p.runner?.runtime ?? fallback,
    runtimeNote: p.runner?.runtimeNote ?? null,
    workers: p.runner?.workers ?? 0,
    fast: p.runner?.fast ?? false,
    tensors: p.tensors.afterFirstBatch < 0 ? { afterFirstBatch: 0, afterLastBatch: 0 } : p.tensors,
  }));
  const computed = summaries.reduce((a, s) => a + s.computed, 0);
  return {
    computed,
    cached: summaries.reduce((a, s) => a + s.cached, 0),
    failed: summaries.flatMap((s) => s.failed),
    seconds,
    imagesPerSecond: extractSeconds > 0 ? computed / extractSeconds : 0,
    runtime: summaries.find((s) => s.workers > 0)?.runtime ?? fallback,
    cancelled: Boolean(options.signal?.aborted),
    backbones: summaries,
  };
}

/** The batches: decode each image once per input size, then every network that needs it. */
async function runPass(
  db: Db,
  parts: Part[],
  imageIds: number[],
  paths: Map<number, string[]>,
  options: EnsureCodesOptions,
  progressed: (n: number) => void,
): Promise<void> {
  const batchSize = Math.max(1, options.batchSize ?? Math.min(...parts.map((p) => p.runner!.batchSize)));
  const sizes = [...new Set(parts.map((p) => p.spec.inputSize))];
  // Enough batches in flight to keep every network thread busy while the next ones decode.
  const maxInFlight = Math.max(2, Math.max(...parts.map((p) => p.runner!.workers)) * 2);
  const running = new Set<Promise<void>>();
  let fatal: Error | null = null;
  // Batches are packed into reused buffers: see inference/pixel-slabs.ts.
  const slabs = new PixelSlabs(maxInFlight * parts.length);

  const runBatch = async (ids: number[]): Promise<void> => {
    // size → image id → RGB bytes (or why it could not be read)
    const decoded = new Map<number, Map<number, { rgb: Uint8Array } | FailedImage>>();
    await Promise.all(
      sizes.map(async (size) => {
        const wanted = ids.filter((id) => parts.some((p) => p.spec.inputSize === size && p.missing.has(id)));
        const results = await Promise.all(wanted.map((id) => decodeFirstReadable(paths.get(id) ?? [], size)));
        decoded.set(size, new Map(wanted.map((id, i) => [id, results[i]])));
      }),
    );
    for (const part of parts) {
      const size = part.spec.inputSize;
      const jobs: Array<{ imageId: number; view: View; rgb: Uint8Array }> = [];
      let failedCodes = 0;
      for (const id of ids) {
        const viewsNeeded = part.missing.get(id);
        if (!viewsNeeded) continue;
        const d = decoded.get(size)!.get(id)!;
        if ('reason' in d) {
          part.failed.push(d);
          failedCodes += viewsNeeded.length;
          continue;
        }
        for (const view of viewsNeeded) {
          let rgb = d.rgb;
          if (view === 'flip') {
            rgb = rgb.slice();
            mirrorRows(rgb, size);
          }
          jobs.push({ imageId: id, view, rgb });
        }
      }
      progressed(failedCodes);
      for (let start = 0; start < jobs.length; start += batchSize) {
        const chunk = jobs.slice(start, start + batchSize);
        const codes = await embedImages(part.runner!, slabs, chunk.map((j) => j.rgb), size, batchSize);
        const rows: CodeRow[] = chunk.map((j, i) => ({ imageId: j.imageId, backbone: part.spec.id, view: j.view, data: codes[i] }));
        writeCodes(db, rows);
        part.computed += rows.length;
        const tensors = part.runner!.numTensors;
        const live = tensors.reduce((a, b) => a + b, 0);
        if (part.tensors.afterFirstBatch < 0 && tensors.every((n) => n > 0)) part.tensors.afterFirstBatch = live;
        part.tensors.afterLastBatch = live;
        progressed(rows.length);
      }
    }
  };

  for (let cursor = 0; cursor < imageIds.length && !fatal && !options.signal?.aborted; ) {
    const ids = imageIds.slice(cursor, cursor + batchSize);
    cursor += ids.length;
    const p: Promise<void> = runBatch(ids)
      .catch((err: Error) => {
        fatal ??= err;
      })
      .finally(() => running.delete(p));
    running.add(p);
    if (running.size >= maxInFlight) await Promise.race(running);
  }
  // Let batches in flight finish: their codes are valid and cost nothing more to keep.
  await Promise.all(running);
  if (fatal) throw fatal;
}

/** The runtime to name when nothing had to be computed. */
async function runtimeWithoutRunners(): Promise<BackboneCodesSummary['runtime'] | null> {
  try {
    return inferenceChoice().onnx ? 'onnx' : (await getTf()).runtime;
  } catch {
    return null;
  }
}

/** Tries an image's present files in order: a file may have vanished since the import. */
async function decodeFirstReadable(paths: string[], size: number): Promise<{ rgb: Uint8Array } | FailedImage> {
  let last: FailedImage = { path: paths[0] ?? '?', reason: 'no file' };
  for (const p of paths) {
    try {
      return { rgb: await decodeForNetwork(p, size) };
    } catch (err) {
      last = { path: p, reason: err instanceof GraftError ? err.message : String((err as Error).message ?? err) };
    }
  }
  return last;
}
