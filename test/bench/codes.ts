/**
 * Code extraction throughput for mobilenet_v1_0.75_224 over the 1,806 flower photos, on
 * every inference runtime, in one run:
 * - `graft codes --backbone mobilenet_v1_0.75_224` as a user runs it, once per runtime
 *   (GRAFT_RUNTIME=onnx, tfjs-node, wasm), each on its own copy of the same imported
 *   project; wall time includes start-up (loading the runtime and the network, compiling
 *   it to ONNX or finding it cached) — `codes{Onnx,TfjsNode,Wasm}ImagesPerSecond`;
 * - the fastest TF.js can do on one core: one wasm worker with batch norm folded into the
 *   convolutions, decoding pipelined beside it (`codesFoldedSingleThreadImagesPerSecond`);
 * - the baseline a tutorial would write (sharp → the unmodified layers model's `predict`,
 *   one thread) on the first 256 photos (`codesPlainImagesPerSecond`);
 * - inference alone, on 64 photos decoded beforehand, at 224 and 320 px
 *   (`codes{Onnx,Wasm}MsPerImage{224,320}`, the better of two interleaved rounds each).
 * - memory over 10,000 photos: `graft codes` on ONNX Runtime over that many small generated
 *   JPEGs, its resident memory sampled; `codesMemoryRssMbByQuarter` is the peak of each
 *   quarter of the run, flat when nothing grows with the number of images.
 * The ratios the targets name are computed from the same run: `codesOnnxOverWasm` and
 * `codesOnnxOverFoldedSingleThread`. ONNX Runtime runs first and last (the figure is the
 * mean), so a change in background load weighs on both sides. The load average is
 * reported with the figures.
 *
 * GRAFT_BENCH_CODES_LIMIT=N uses only the first N photos (a quick look, not the figure).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type * as tfjs from '@tensorflow/tfjs';
import { openProject } from '../../main/engine/catalogue/open';
import { startOnnxBackbone, type OnnxBackbone } from '../../main/engine/onnx/onnx-backbone';
import { EmbedPool } from '../../main/engine/tf/embed-pool';
import { decodeForNetwork } from '../../main/engine/tf/preprocess';
import { getBackbone } from '../../main/engine/tf/registry';
import { getTf } from '../../main/engine/tf/runtime';
import { folderIOHandler, resolveWeights } from '../../main/engine/tf/weights';
import { addFilesToCatalogue, listImageFiles } from '../helpers/catalogue-fixtures';
import { flowersDir, graftBin, modelsDir, tempDir } from '../helpers/paths';
import { sampleRss } from './rss';
import type { Figures } from './run';

const BACKBONE = 'mobilenet_v1_0.75_224';
const RUNTIMES = [
  { env: 'onnx', key: 'Onnx' },
  { env: 'tfjs-node', key: 'TfjsNode' },
  { env: 'wasm', key: 'Wasm' },
] as const;

interface Embedder {
  workers: number;
  embed(pixels: Uint8Array, n: number): Promise<Float32Array>;
}

export async function run(): Promise<Figures> {
  if (!fs.existsSync(flowersDir)) throw new Error(`No flower photos at ${flowersDir}: the codes benchmark needs ../shared beside the checkout.`);
  const limit = Number(process.env.GRAFT_BENCH_CODES_LIMIT ?? 0);
  const all = listImageFiles(flowersDir);
  const files = limit > 0 ? all.slice(0, limit) : all;
  const loadBefore = os.loadavg()[0];
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  const figures: Figures = { codesBackbone: BACKBONE, codesImages: files.length };

  const { dir, cleanup } = tempDir('graft-bench-codes-');
  try {
    const project = path.join(dir, 'imported.graft');
    const db = openProject(project);
    try {
      addFilesToCatalogue(db, files);
    } finally {
      db.close();
    }
    const cli = async (runtime: string) => {
      const copy = path.join(dir, `${runtime}-${Date.now()}.graft`);
      fs.copyFileSync(project, copy);
      return graftCodes(copy, runtime);
    };

    const onnxFirst = await cli('onnx');
    const folded = await pipelinedPass(files, 'wasm', (spec, weights) => EmbedPool.start(spec, weights, { workers: 1 }));
    log(`folded TF.js wasm, one worker: ${folded.images} codes in ${folded.seconds.toFixed(1)} s`);
    const others: Record<string, CliRun> = {};
    for (const rt of RUNTIMES.filter((r) => r.env !== 'onnx')) others[rt.env] = await cli(rt.env);
    const onnxLast = await cli('onnx');
    const runs: Record<string, CliRun> = { ...others, onnx: mean(onnxFirst, onnxLast) };

    for (const rt of RUNTIMES) {
      const r = runs[rt.env];
      if ('unavailable' in r) {
        figures[`codes${rt.key}Unavailable`] = r.unavailable;
        log(`${rt.env}: not measured (${r.unavailable})`);
        continue;
      }
      figures[`codes${rt.key}ImagesPerSecond`] = round(r.images / r.wallSeconds);
      figures[`codes${rt.key}WallSeconds`] = round(r.wallSeconds);
      figures[`codes${rt.key}Failed`] = r.failed;
      log(`graft codes on ${rt.env}: ${r.images} codes in ${r.wallSeconds.toFixed(1)} s with start-up (${(r.images / r.wallSeconds).toFixed(1)} images/s; runtime ${r.runtime})`);
    }
    const foldedRate = folded.images / folded.seconds;
    figures.codesFoldedSingleThreadImagesPerSecond = round(foldedRate);
    const onnx = runs.onnx;
    const wasm = runs.wasm;
    if (!('unavailable' in onnx)) {
      const onnxRate = onnx.images / onnx.wallSeconds;
      if (!('unavailable' in wasm)) figures.codesOnnxOverWasm = round(onnxRate / (wasm.images / wasm.wallSeconds));
      figures.codesOnnxOverFoldedSingleThread = round(onnxRate / foldedRate);
      if (!('unavailable' in onnxFirst) && !('unavailable' in onnxLast)) {
        figures.codesOnnxFirstLastImagesPerSecond = `${round(onnxFirst.images / onnxFirst.wallSeconds, 1)} / ${round(onnxLast.images / onnxLast.wallSeconds, 1)}`;
      }
    }
  } finally {
    cleanup();
  }

  Object.assign(figures, await memoryOverManyImages(Number(process.env.GRAFT_BENCH_CODES_MEMORY_IMAGES ?? 10_000)));

  const plain = await plainLoop(files.slice(0, 256));
  log(`plain loop: ${plain.images} images in ${plain.seconds.toFixed(1)} s`);
  figures.codesPlainImagesPerSecond = round(plain.images / plain.seconds);
  figures.codesPlainDecodeMsPerImage = round((plain.decodeSeconds * 1000) / plain.images, 1);
  figures.codesPlainPredictMsPerImage = round((plain.predictSeconds * 1000) / plain.images, 1);
  figures.codesPlainTensorGrowth = plain.tensorGrowth;

  for (const id of [BACKBONE, `${BACKBONE}_at320`]) {
    const size = getBackbone(id).inputSize;
    const m = await inferenceOnly(id, files.slice(0, 64));
    figures[`codesWasmMsPerImage${size}`] = round(m.wasm);
    figures[`codesOnnxMsPerImage${size}`] = round(m.onnx);
    log(`inference alone at ${size} px: wasm ${m.wasm.toFixed(1)} ms/image, ONNX Runtime ${m.onnx.toFixed(1)} ms/image`);
  }
  figures.codesLoadAverageBefore = round(loadBefore);
  figures.codesLoadAverageAfter = round(os.loadavg()[0]);
  return figures;
}

type CliRun = { images: number; wallSeconds: number; failed: number; runtime: string; rssPeakMb?: number; rssQuarters?: number[] } | { unavailable: string };

function mean(a: CliRun, b: CliRun): CliRun {
  if ('unavailable' in a) return a;
  if ('unavailable' in b) return b;
  return { images: a.images, wallSeconds: (a.wallSeconds + b.wallSeconds) / 2, failed: a.failed, runtime: a.runtime };
}

/** `graft codes` on ONNX Runtime over `count` generated photos, with the process's memory sampled. */
async function memoryOverManyImages(count: number): Promise<Figures> {
  if (count <= 0) return {};
  const { dir, cleanup } = tempDir('graft-bench-codes-memory-');
  try {
    const photos = path.join(dir, 'photos');
    fs.mkdirSync(photos);
    const side = 128;
    const files: string[] = [];
    for (let i = 0; i < count; i++) {
      // Smooth colour fields, different for every index: distinct files that encode small.
      const raw = Buffer.alloc(side * side * 3);
      const [a, b, c] = [(i * 37) % 256, (i * 91) % 256, (i * 13 + (i >> 8)) % 256];
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const o = (y * side + x) * 3;
          raw[o] = (a + x) & 255;
          raw[o + 1] = (b + y) & 255;
          raw[o + 2] = (c + ((x * y) >> 6)) & 255;
        }
      }
      const file = path.join(photos, `${String(i).padStart(5, '0')}.jpg`);
      await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 85 }).toFile(file);
      files.push(file);
    }
    const project = path.join(dir, 'many.graft');
    const db = openProject(project);
    try {
      addFilesToCatalogue(db, files);
    } finally {
      db.close();
    }
    const r = await graftCodes(project, 'onnx', true);
    if ('unavailable' in r) return { codesMemoryUnavailable: r.unavailable };
    const quarters = r.rssQuarters ?? [0, 0, 0, 0];
    log(`memory over ${r.images} generated photos on ONNX Runtime: peak ${Math.round(r.rssPeakMb ?? 0)} MB; per quarter ${quarters.map((q) => Math.round(q)).join(', ')} MB`);
    return {
      codesMemoryImages: r.images,
      codesMemoryImagesPerSecond: Math.round((r.images / r.wallSeconds) * 10) / 10,
      codesMemoryPeakRssMb: Math.round(r.rssPeakMb ?? 0),
      codesMemoryRssMbByQuarter: quarters.map((q) => Math.round(q)).join(' / '),
      codesMemoryGrowthLastOverFirstQuarterMb: Math.round(quarters[3] - quarters[0]),
    };
  } finally {
    cleanup();
  }
}

/** `graft codes --backbone BACKBONE --json` on a project with GRAFT_RUNTIME set, timed from spawn to exit. */
function graftCodes(project: string, runtime: string, sampleMemory = false): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [graftBin, 'codes', '--project', project, '--backbone', BACKBONE, '--json'], {
      env: { ...process.env, GRAFT_RUNTIME: runtime, GRAFT_MODELS_DIR: modelsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const rss = sampleMemory && child.pid ? sampleRss(child.pid) : null;
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const rssPeakMb = rss?.stop();
      if (code !== 0) {
        // A runtime that does not load here (tfjs-node not staged) is reported, not fatal.
        // The CLI says why in one line of its own ('graft codes: …'); keep it whole, it names
        // the fix. A crash prints no such line: then its error line, not Node's version footer.
        const lines = err.split('\n');
        const reason = lines.filter((l) => l.startsWith('graft ')).pop() ?? lines.find((l) => /^\w*Error\b/.test(l));
        resolve({ unavailable: reason ?? `exit ${code}` });
        return;
      }
      const r = JSON.parse(out) as { computed: number; failed: unknown[]; runtime: string };
      resolve({ images: r.computed, wallSeconds, failed: r.failed.length, runtime: r.runtime, rssPeakMb, rssQuarters: rss?.quarters() });
    });
  });
}

/** Starts worker threads under GRAFT_RUNTIME=runtime: workers copy the environment when they start. */
async function onRuntime<T>(runtime: string, start: () => Promise<T>): Promise<T> {
  const saved = process.env.GRAFT_RUNTIME;
  process.env.GRAFT_RUNTIME = runtime;
  try {
    return await start();
  } finally {
    if (saved === undefined) delete process.env.GRAFT_RUNTIME;
    else process.env.GRAFT_RUNTIME = saved;
  }
}

/**
 * Graft's own arrangement for a TF.js or ONNX pool, outside the engine: decode with Graft's
 * preprocessing while earlier batches run, 16 per batch, two per worker in flight.
 */
async function pipelinedPass(files: string[], runtime: string, start: (spec: ReturnType<typeof getBackbone>, weights: string) => Promise<Embedder & { close(): Promise<void> }>): Promise<{ images: number; seconds: number }> {
  const spec = getBackbone(BACKBONE);
  const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
  const pool = await onRuntime(runtime, () => start(spec, dir));
  let images = 0;
  const t0 = process.hrtime.bigint();
  try {
    const running = new Set<Promise<void>>();
    for (let i = 0; i < files.length; i += 16) {
      const batch = files.slice(i, i + 16);
      const p: Promise<void> = (async () => {
        const decoded = (await Promise.all(batch.map((f) => decodeForNetwork(f, spec.inputSize).catch(() => null)))).filter((d): d is Uint8Array => d !== null);
        const pixels = new Uint8Array(decoded.length * decoded[0].length);
        decoded.forEach((d, k) => pixels.set(d, k * d.length));
        await pool.embed(pixels, decoded.length);
        images += decoded.length;
      })().finally(() => running.delete(p));
      running.add(p);
      if (running.size >= pool.workers * 2) await Promise.race(running);
    }
    await Promise.all(running);
  } finally {
    await pool.close();
  }
  return { images, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/**
 * The baseline a tutorial would write: one thread, sharp resize to 224 (cover = center
 * crop), scale to [-1, 1], `model.predict` on the unmodified layers model, batches of 16.
 */
async function plainLoop(files: string[]): Promise<{ images: number; seconds: number; decodeSeconds: number; predictSeconds: number; tensorGrowth: number }> {
  const { tf } = await getTf();
  const spec = getBackbone(BACKBONE);
  const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
  const model = await tf.loadLayersModel(folderIOHandler(dir));
  const size = spec.inputSize;
  tf.tidy(() => model.predict(tf.zeros([1, size, size, 3])));
  let decodeSeconds = 0;
  let predictSeconds = 0;
  let images = 0;
  let tensorsAfterFirst = -1;
  let tensorsAfterLast = -1;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < files.length; i += 16) {
    const batch = files.slice(i, i + 16);
    const a = process.hrtime.bigint();
    const pixels: Buffer[] = [];
    for (const f of batch) {
      try {
        pixels.push(await sharp(f).resize(size, size, { fit: 'cover' }).removeAlpha().raw().toBuffer());
      } catch {
        // A photo the baseline cannot read is skipped, as a tutorial loop would.
      }
    }
    const values = new Float32Array(pixels.length * size * size * 3);
    pixels.forEach((p, k) => {
      for (let j = 0; j < p.length; j++) values[k * p.length + j] = p[j] / 127.5 - 1;
    });
    const b = process.hrtime.bigint();
    const y = tf.tidy(() => model.predict(tf.tensor4d(values, [pixels.length, size, size, 3])) as tfjs.Tensor);
    await y.data();
    y.dispose();
    const c = process.hrtime.bigint();
    decodeSeconds += Number(b - a) / 1e9;
    predictSeconds += Number(c - b) / 1e9;
    images += pixels.length;
    if (tensorsAfterFirst < 0) tensorsAfterFirst = tf.memory().numTensors;
    tensorsAfterLast = tf.memory().numTensors;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  model.dispose();
  return { images, seconds, decodeSeconds, predictSeconds, tensorGrowth: tensorsAfterLast - tensorsAfterFirst };
}

/** ms per image of inference alone (photos decoded beforehand) on each engine's pool; the better of two rounds. */
async function inferenceOnly(id: string, files: string[]): Promise<{ wasm: number; onnx: number }> {
  const spec = getBackbone(id);
  const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
  const size = spec.inputSize;
  const decoded = await Promise.all(files.map((f) => decodeForNetwork(f, size)));
  const batches: Uint8Array[] = [];
  for (let i = 0; i < decoded.length; i += 16) {
    const chunk = decoded.slice(i, i + 16);
    const pixels = new Uint8Array(chunk.length * size * size * 3);
    chunk.forEach((d, k) => pixels.set(d, k * d.length));
    batches.push(pixels);
  }
  const timed = async (pool: { embed(p: Uint8Array, n: number): Promise<Float32Array> }): Promise<number> => {
    const t0 = process.hrtime.bigint();
    await Promise.all(batches.map((b) => pool.embed(b.slice(), b.length / (size * size * 3))));
    return Number(process.hrtime.bigint() - t0) / 1e6 / decoded.length;
  };
  const wasmPool = await onRuntime('wasm', () => EmbedPool.start(spec, dir));
  const onnx: OnnxBackbone = await startOnnxBackbone(spec, dir);
  try {
    // One image per worker first: a session's first run sets up its kernels.
    const one = () => batches[0].slice(0, size * size * 3);
    await Promise.all([...Array.from({ length: wasmPool.workers }, () => wasmPool.embed(one(), 1)), ...Array.from({ length: onnx.workers }, () => onnx.embed(one(), 1))]);
    const wasm = [await timed(wasmPool)];
    const ort = [await timed(onnx)];
    wasm.push(await timed(wasmPool));
    ort.push(await timed(onnx));
    return { wasm: Math.min(...wasm), onnx: Math.min(...ort) };
  } finally {
    await wasmPool.close();
    await onnx.close();
  }
}

function log(m: string): void {
  process.stderr.write(`bench codes: ${m}\n`);
}
