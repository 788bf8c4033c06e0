/**
 * Training figures on the 1,806 flower photos, with the default settings:
 * - the whole flow a user runs first: import → codes → train (the "under 3
 *   minutes on 2 cores"), and the test accuracy it reaches;
 * - retraining the head on cached codes (the "under 15 seconds");
 * - warm prediction latency for one image with the current model;
 * - peak memory (RSS) while training, sampled every 50 ms, and the process peak.
 *
 * GRAFT_BENCH_TRAINING_DIR=folder uses another photo folder (a quick look, not the figure).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TrainResult } from '../../shared/api/training';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { getTf } from '../../main/engine/tf/runtime';
import { inferenceChoice } from '../../main/engine/inference/inference-runtime';
import { loadPredictor } from '../../main/engine/training/predict';
import { flowersDir, modelsDir, tempDir } from '../helpers/paths';
import { resultOf, runToEnd } from '../helpers/jobs';
import { DEFAULTS } from '../../shared/defaults';
import { listImageFiles } from '../helpers/catalogue-fixtures';
import { arithmeticFigures } from './arithmetic';
import type { Figures } from './run';

export async function run(): Promise<Figures> {
  const photos = process.env.GRAFT_BENCH_TRAINING_DIR ?? flowersDir;
  if (!fs.existsSync(photos)) throw new Error(`No photos at ${photos}: the training benchmark needs ../shared beside the checkout.`);
  const { dir, cleanup } = tempDir('graft-bench-training-');
  const engine = new Engine(path.join(dir, 'bench.graft'), { modelsDir });
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  try {
    const loadBefore = os.loadavg()[0];
    const t0 = Date.now();
    // Every thread of the process: the engine's decoding workers and inference sessions are threads of it.
    const cpu0 = process.cpuUsage();
    // Through the import job, as the studio runs it (the engine's decoding workers, and the
    // networks the next run uses computing codes from the same decodes).
    const codes = { backbones: [...DEFAULTS.training.backbones.value], views: ['center' as const] };
    const imported = resultOf(await runToEnd(engine, 'import', () => call(engine, 'import.start', { folder: photos, codes })));
    const importSeconds = (Date.now() - t0) / 1000;
    log(`imported ${imported.newImages} images in ${importSeconds.toFixed(1)} s`);
    const first = await train(engine);
    const flowSeconds = (Date.now() - t0) / 1000;
    const flowCpu = process.cpuUsage(cpu0);
    const flowCpuSeconds = (flowCpu.user + flowCpu.system) / 1e6;
    log(`import → codes → train: ${flowSeconds.toFixed(1)} s (${flowCpuSeconds.toFixed(1)} s of CPU), test accuracy ${first.result.accuracy.test}`);

    // Retrain on cached codes (a new seed so it is a real second run), sampling RSS.
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t1 = Date.now();
    const again = await train(engine, { seed: 7 });
    const retrainSeconds = (Date.now() - t1) / 1000;
    clearInterval(sampler);
    log(`retrain on cached codes: ${retrainSeconds.toFixed(1)} s, test accuracy ${again.result.accuracy.test}`);

    const { runtime: tfRuntime } = await getTf();
    const image = firstImage(photos);
    const onnx = await warmPrediction(engine, image);
    // The same model on TF.js (the runtime this process loaded), for comparison.
    const saved = process.env.GRAFT_RUNTIME;
    process.env.GRAFT_RUNTIME = tfRuntime;
    let tfjs: Awaited<ReturnType<typeof warmPrediction>>;
    try {
      tfjs = await warmPrediction(engine, image);
    } finally {
      if (saved === undefined) delete process.env.GRAFT_RUNTIME;
      else process.env.GRAFT_RUNTIME = saved;
    }
    return {
      trainingImages: imported.newImages,
      trainingImportSeconds: round(importSeconds),
      trainingWholeFlowSeconds: round(flowSeconds),
      trainingWholeFlowCpuSeconds: round(flowCpuSeconds, 1),
      // Near the core count: the flow is limited by arithmetic, not by waiting.
      trainingWholeFlowCoresBusy: round(flowCpuSeconds / flowSeconds),
      trainingTestAccuracy: first.result.accuracy.test ?? 0,
      trainingValidationAccuracy: first.result.accuracy.validation ?? 0,
      trainingRetrainSeconds: round(retrainSeconds),
      trainingRetrainTestAccuracy: again.result.accuracy.test ?? 0,
      trainingEpochs: first.epochs,
      predictWarmMsPerImage: onnx.ms,
      predictRuntime: onnx.runtime,
      [`predictWarmMsPerImage_${tfRuntime}`]: tfjs.ms,
      predictViews: onnx.views,
      predictTensorGrowth: onnx.tensorGrowth + tfjs.tensorGrowth,
      trainingPeakRssMB: round(peak / 2 ** 20, 0),
      trainingProcessMaxRssMB: round(process.resourceUsage().maxRSS / 1024, 0),
      trainingLoadAverageBefore: round(loadBefore),
      // The machine's yardstick for the flow's figure: see arithmetic.ts.
      ...(inferenceChoice().onnx ? await arithmeticFigures(DEFAULTS.training.backbones.value, listImageFiles(photos), imported.newImages) : {}),
    };
  } finally {
    await engine.close();
    cleanup();
  }
}

async function train(engine: Engine, options: { seed?: number } = {}): Promise<{ result: TrainResult; epochs: number }> {
  let epochs = 0;
  const offEpoch = engine.on('training.epoch', () => epochs++);
  const offProgress = engine.on('job.progress', (p) => {
    if (p.stage === 'codes' && p.done === p.total && p.total > 0) log(`codes: ${p.total} done (${p.message ?? ''})`);
  });
  const f = await runToEnd(engine, 'train', () => call(engine, 'train.start', options));
  offEpoch();
  offProgress();
  return { result: resultOf(f), epochs };
}

/** Median of ten warm one-photo predictions with the current model, on the runtime GRAFT_RUNTIME chooses. */
async function warmPrediction(engine: Engine, image: string): Promise<{ ms: number; runtime: string; views: number; tensorGrowth: number }> {
  const { tf, runtime } = await getTf();
  const predictor = await loadPredictor(engine.db, { modelsDir, pool: engine.compute });
  const tensors = tf.memory().numTensors;
  try {
    await predictor.probabilities([image]); // warm-up
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = process.hrtime.bigint();
      await predictor.probabilities([image]);
      times.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { ms: Math.round(times[Math.floor(times.length / 2)] * 10) / 10, runtime: inferenceChoice().onnx ? 'onnx' : runtime, views: predictor.model.views.length, tensorGrowth: tf.memory().numTensors - tensors };
  } finally {
    predictor.dispose();
  }
}

function firstImage(dir: string): string {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const inner = fs.readdirSync(p).filter((n) => /\.jpe?g$/i.test(n)).sort();
      if (inner.length) return path.join(p, inner[0]);
    }
  }
  throw new Error(`No JPEG under ${dir}`);
}

function log(message: string): void {
  process.stderr.write(`bench training: ${message}\n`);
}
