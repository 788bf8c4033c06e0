/**
 * Computes the codes a project is missing, and only those.
 *
 * The pipeline: images whose files are present and whose (backbone, view) code is not
 * cached are read in batches; sharp decodes them on libuv's thread pool (center crop,
 * resize — `preprocess.ts`) while the worker pool (`embed-pool.ts`, one wasm backend per
 * core) runs earlier batches, so decoding overlaps inference; each finished batch is
 * written in one transaction. A cancel, crash or kill therefore loses at most the batches
 * in flight, and the next run computes only what is still missing.
 *
 * A file that cannot be decoded is reported (path and reason) and skipped, never fatal.
 */
import type { BackboneCodesSummary, CodesSummary, FailedImage } from '../../../shared/api/codes';
import type { Db } from '../catalogue/open';
import { GraftError } from '../errors';
import { EmbedPool } from '../tf/embed-pool';
import { decodeForNetwork, mirrorRows } from '../tf/preprocess';
import { getBackbone, type BackboneSpec } from '../tf/registry';
import { getTf } from '../tf/runtime';
import { resolveWeights, type DownloadProgress } from '../tf/weights';
import type { View } from '../../../shared/api/codes';
import { listMissing, writeCodes, type CodeRow, type MissingCodes } from '../catalogue/codes';

export type { BackboneCodesSummary, CodesSummary, FailedImage };

export interface CodesProgress {
  stage: 'download' | 'load' | 'codes';
  backbone: string;
  /** Codes computed so far in this run (download: bytes). */
  done: number;
  /** Codes to compute in this run (download: bytes, 0 when unknown). */
  total: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
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
  /** Worker threads (default: one per core with wasm). */
  workers?: number;
  /** Images per inference call (default 16). */
  batchSize?: number;
  /** Folded/fused forward path (default true). */
  fast?: boolean;
  /** Only these images (default: every image with a present file). */
  imageIds?: number[];
}

/** Computes the missing codes of every listed backbone; see the module comment. */
export async function ensureCodes(db: Db, options: EnsureCodesOptions): Promise<CodesSummary> {
  const views: View[] = options.views?.length ? [...new Set(options.views)] : ['center'];
  const started = Date.now();
  const summaries: BackboneCodesSummary[] = [];
  for (const id of options.backbones) {
    if (options.signal?.aborted) break;
    summaries.push(await ensureBackboneCodes(db, getBackbone(id), views, options));
  }
  const computed = summaries.reduce((a, s) => a + s.computed, 0);
  const extractSeconds = summaries.reduce((a, s) => a + s.seconds, 0);
  return {
    computed,
    cached: summaries.reduce((a, s) => a + s.cached, 0),
    failed: summaries.flatMap((s) => s.failed),
    seconds: (Date.now() - started) / 1000,
    imagesPerSecond: extractSeconds > 0 ? computed / extractSeconds : 0,
    runtime: summaries[0]?.runtime ?? (await getTf()).runtime,
    cancelled: Boolean(options.signal?.aborted),
    backbones: summaries,
  };
}

async function ensureBackboneCodes(db: Db, spec: BackboneSpec, views: View[], options: EnsureCodesOptions): Promise<BackboneCodesSummary> {
  const { todo, cached } = listMissing(db, spec.id, views, options.imageIds);
  const total = todo.reduce((a, t) => a + t.views.length, 0);
  const report = options.onProgress ?? (() => {});
  const base = { backbone: spec.id, cached, failed: [] as FailedImage[] };
  if (!todo.length) {
    report({ stage: 'codes', backbone: spec.id, done: 0, total: 0, imagesPerSecond: 0, etaSeconds: 0 });
    return { ...base, computed: 0, seconds: 0, imagesPerSecond: 0, runtime: (await getTf()).runtime, workers: 0, fast: false, tensors: { afterFirstBatch: 0, afterLastBatch: 0 } };
  }

  const weights = await resolveWeights(spec, {
    modelsDir: options.modelsDir,
    signal: options.signal,
    onProgress: (p: DownloadProgress) =>
      report({ stage: 'download', backbone: spec.id, done: p.receivedBytes, total: p.totalBytes ?? 0, imagesPerSecond: 0, etaSeconds: null, message: `${p.file} (${p.filesDone}/${p.files} files)` }),
  });
  if (options.signal?.aborted) return { ...base, computed: 0, seconds: 0, imagesPerSecond: 0, runtime: (await getTf()).runtime, workers: 0, fast: false, tensors: { afterFirstBatch: 0, afterLastBatch: 0 } };
  report({ stage: 'load', backbone: spec.id, done: 0, total, imagesPerSecond: 0, etaSeconds: null, message: `loading ${spec.id}` });
  const pool = await EmbedPool.start(spec, weights.dir, { workers: options.workers, fast: options.fast });
  const t0 = Date.now();
  let computed = 0;
  let failedCodes = 0;
  const tensors = { afterFirstBatch: -1, afterLastBatch: -1 };
  const rate = new Rate();
  try {
    const batchSize = Math.max(1, options.batchSize ?? 16);
    const size = spec.inputSize;
    const per = size * size * 3;
    // Enough batches in flight to keep every worker busy while the next ones decode.
    const maxInFlight = pool.workers * 2;
    const running = new Set<Promise<void>>();
    let cursor = 0;
    let fatal: Error | null = null;

    const runBatch = async (items: MissingCodes[]): Promise<void> => {
      const decoded = await Promise.all(items.map((t) => decodeFirstReadable(t.paths, size)));
      const jobs: Array<{ imageId: number; view: View; rgb: Uint8Array }> = [];
      decoded.forEach((d, i) => {
        const t = items[i];
        if ('reason' in d) {
          base.failed.push({ path: d.path, reason: d.reason });
          failedCodes += t.views.length;
          return;
        }
        for (const view of t.views) {
          let rgb = d.rgb;
          if (view === 'flip') {
            rgb = rgb.slice();
            mirrorRows(rgb, size);
          }
          jobs.push({ imageId: t.imageId, view, rgb });
        }
      });
      for (let start = 0; start < jobs.length; start += batchSize) {
        const chunk = jobs.slice(start, start + batchSize);
        const pixels = new Uint8Array(chunk.length * per);
        chunk.forEach((j, i) => pixels.set(j.rgb, i * per));
        const codes = await pool.embed(pixels, chunk.length);
        const dim = codes.length / chunk.length;
        const rows: CodeRow[] = chunk.map((j, i) => ({ imageId: j.imageId, backbone: spec.id, view: j.view, data: codes.slice(i * dim, (i + 1) * dim) }));
        writeCodes(db, rows);
        computed += rows.length;
        const live = pool.numTensors.reduce((a, b) => a + b, 0);
        if (tensors.afterFirstBatch < 0 && pool.numTensors.every((n) => n > 0)) tensors.afterFirstBatch = live;
        tensors.afterLastBatch = live;
      }
      const done = computed + failedCodes;
      const r = rate.add(done);
      report({ stage: 'codes', backbone: spec.id, done: Math.min(done, total), total, imagesPerSecond: r, etaSeconds: r > 0 ? (total - done) / r : null });
    };

    while (cursor < todo.length && !fatal && !options.signal?.aborted) {
      const items = todo.slice(cursor, cursor + batchSize);
      cursor += items.length;
      const p: Promise<void> = runBatch(items)
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
  } finally {
    await pool.close();
  }
  const seconds = (Date.now() - t0) / 1000;
  return {
    ...base,
    computed,
    seconds,
    imagesPerSecond: seconds > 0 ? computed / seconds : 0,
    runtime: pool.runtime,
    workers: pool.workers,
    fast: pool.fast,
    tensors,
  };
}

/** Tries an image's present files in order: a file may have vanished since the import. */
async function decodeFirstReadable(paths: string[], size: number): Promise<{ rgb: Uint8Array } | { path: string; reason: string }> {
  let last: { path: string; reason: string } = { path: paths[0] ?? '?', reason: 'no file' };
  for (const p of paths) {
    try {
      return { rgb: await decodeForNetwork(p, size) };
    } catch (err) {
      last = { path: p, reason: err instanceof GraftError ? err.message : String((err as Error).message ?? err) };
    }
  }
  return last;
}

/** Items per second over the last ~5 s. */
class Rate {
  private samples: Array<{ t: number; n: number }> = [{ t: Date.now(), n: 0 }];
  add(n: number): number {
    const t = Date.now();
    this.samples.push({ t, n });
    while (this.samples.length > 2 && t - this.samples[0].t > 5000) this.samples.shift();
    const a = this.samples[0];
    return t > a.t ? ((n - a.n) * 1000) / (t - a.t) : 0;
  }
}
