/**
 * One training run, start to finish: deal splits, compute missing codes, then hand the
 * arithmetic (head, fine-tuning, vote, evaluation: fit-model.ts) to a worker thread, and
 * store the run. The run row is written as it goes; only a finished run becomes the
 * current model (in the same transaction that stores its weights), so a cancel, crash or
 * kill never replaces the previous model.
 */
import { randomBytes } from 'node:crypto';
import type { ExcludedReport, StoredEpoch, TrainConfig, TrainOptions, TrainResult } from '../../../shared/api/training';
import type { TrainingEpochEvent } from '../../../shared/events';
import type { JobStage } from '../../../shared/jobs';
import { imagesWithCodes, listMissing } from '../catalogue/codes';
import type { Db } from '../catalogue/open';
import { createRun, endRun, reconcileInterruptedRuns, saveHistory } from '../catalogue/runs';
import { assignSplits, labelledImages } from '../catalogue/splits';
import { ensureCodes } from '../codes/extract';
import { GraftError } from '../errors';
import type { LabelledImage } from '../model/splits';
import type { WorkerPool } from '../workers/worker-pool';
import { DEFAULTS } from '../../../shared/defaults';
import { FINE_TUNE_DEFAULTS, HEAD_DEFAULTS, voteSharesFor } from './defaults';

export interface TrainContext {
  db: Db;
  /** The project file (the worker that fits the model reads its codes) and the engine's computing workers. */
  projectPath: string;
  workers: WorkerPool;
  modelsDir?: string;
  jobId: string;
  signal: AbortSignal;
  progress(stage: JobStage<'train'>, done: number, total: number, message?: string): void;
  /** Each stage's share of the run, for one overall ETA (see JobContext.plan). */
  plan?(shares: Partial<Record<JobStage<'train'>, number>>): void;
  onEpoch?(e: TrainingEpochEvent): void;
  /** The run row was created or changed (the UI re-queries its run list). */
  onRunsChanged?(): void;
}

const VERSION: string = (() => {
  try {
    return (require('../../../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/** The config a run will use: defaults filled in from the options. */
export function resolveConfig(options: TrainOptions): Omit<TrainConfig, 'dataset'> {
  const { training } = DEFAULTS;
  const flip = options.flip ?? training.flip.value;
  const backbones = options.backbones?.length ? [...options.backbones] : [...training.backbones.value];
  return {
    seed: options.seed ?? training.seed.value,
    backbones,
    views: flip ? ['center', 'flip'] : ['center'],
    head: {
      ...HEAD_DEFAULTS,
      ...(options.epochs !== undefined ? { maxEpochs: options.epochs } : {}),
      ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
      ...(options.hidden !== undefined ? { hidden: options.hidden } : {}),
      ...(options.members !== undefined ? { members: options.members } : {}),
      ...((options.vote ?? training.vote.value) ? { voteShares: voteSharesFor(backbones) } : { vote: 0 }),
    },
    fractions: options.fractions ?? { ...training.fractions.value },
    reshuffle: options.reshuffle ?? training.reshuffle.value,
    fineTune: (options.fineTune ?? training.fineTune.value)
      ? {
          ...FINE_TUNE_DEFAULTS,
          ...(options.fineTuneEpochs !== undefined ? { epochs: options.fineTuneEpochs } : {}),
          ...(options.fineTuneLearningRate !== undefined ? { learningRate: options.fineTuneLearningRate } : {}),
        }
      : null,
    version: VERSION,
  };
}

export async function runTraining(ctx: TrainContext, options: TrainOptions): Promise<TrainResult> {
  const started = Date.now();
  const { db } = ctx;
  const config = resolveConfig(options);
  reconcileInterruptedRuns(db);

  const splitReport = assignSplits(db, { seed: config.seed, fractions: config.fractions, reshuffle: config.reshuffle });
  const images = labelledImages(db);
  const excluded: ExcludedReport = { conflicts: splitReport.conflicts, unlabelled: splitReport.unlabelled, unreadable: [] };
  requireTrainable(images);
  ctx.plan?.(planOf(db, config, images.map((i) => i.imageId)));

  // Codes first (cached ones are reused; only what is missing is computed).
  let preparing = false;
  const codes = await ensureCodes(db, {
    backbones: config.backbones,
    views: config.views,
    modelsDir: ctx.modelsDir,
    signal: ctx.signal,
    imageIds: images.map((i) => i.imageId),
    onProgress: (p) => {
      if (!preparing && p.stage === 'codes' && p.total > p.done) {
        // Codes to compute take seconds: meanwhile a worker makes ready for the head.
        preparing = true;
        ctx.workers.run('prepare-fit', {}).catch(() => undefined);
      }
      if (p.stage === 'codes') ctx.progress('codes', p.done, p.total, p.message ?? p.backbone);
      else ctx.progress('codes', 0, 0, p.stage === 'download' ? `downloading ${p.backbone}` : `loading ${p.backbone}`);
    },
  });
  if (ctx.signal.aborted) throw new GraftError('cancelled', 'Training was cancelled.');

  const complete = new Set(imagesWithCodes(db, config.backbones, config.views, images.map((i) => i.imageId)));
  const failedByPath = new Map(codes.failed.map((f) => [f.path, f.reason]));
  excluded.unreadable = images
    .filter((img) => !complete.has(img.imageId))
    .map((img) => ({ path: img.path, reason: failedByPath.get(img.path) ?? 'The file is missing or could not be read.' }));
  const kept = images.filter((img) => complete.has(img.imageId));
  requireTrainable(kept);

  // Classes in display order, only those with something to learn from.
  const classes = [...new Set(kept.map((i) => i.className))];
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const counts = { train: 0, validation: 0, test: 0 };
  for (const img of kept) if (img.split) counts[img.split]++;
  if (!counts.train) throw new GraftError('invalid_params', 'No images ended up in the training split. Add more labelled images.');
  const fullConfig: TrainConfig = {
    ...config,
    dataset: {
      imageIds: kept.map((i) => i.imageId),
      classIndex: kept.map((i) => classIndex.get(i.className)!),
      splits: kept.map((i) => (i.split === 'train' ? 't' : i.split === 'validation' ? 'v' : 's')).join(''),
    },
  };
  const runId = newRunId();
  createRun(db, runId, fullConfig, classes);
  ctx.onRunsChanged?.();

  const history: StoredEpoch[] = [];
  try {
    // The arithmetic runs in a worker; this thread stores each epoch as it arrives.
    const fit = await ctx.workers.run(
      'fit-model',
      { projectPath: ctx.projectPath, modelsDir: ctx.modelsDir, config: fullConfig, classes, images: kept, jobId: ctx.jobId, runId, counts, excluded, startedAt: started },
      {
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(p.stage as JobStage<'train'>, p.done, p.total, p.message),
        onEvent: (e) => {
          history.push(e);
          saveHistory(db, runId, history);
          const epochs = e.stage === 'head' ? config.head.maxEpochs : (config.fineTune?.epochs ?? 0);
          ctx.onEpoch?.({ jobId: ctx.jobId, runId, epochs, ...e });
        },
      },
    );
    // The worker finished the run (a cancel arriving after that is too late: the model is kept).
    const { metrics, seconds } = fit;
    ctx.onRunsChanged?.();
    const shown = metrics.test ?? metrics.validation;
    return {
      runId,
      classes,
      accuracy: metrics.accuracy,
      perClass: shown?.perClass ?? {},
      confusion: shown?.confusion ?? [],
      seconds,
      excluded,
      ...(metrics.fineTune ? { fineTune: metrics.fineTune } : {}),
    };
  } catch (err) {
    const cancelled = ctx.signal.aborted || (err instanceof GraftError && err.code === 'cancelled');
    endRun(db, runId, cancelled ? 'cancelled' : 'failed', cancelled ? 'Cancelled; the previous model was kept.' : (err as Error).message, (Date.now() - started) / 1000);
    ctx.onRunsChanged?.();
    throw err;
  }
}

/**
 * Each stage's expected share of the run, for one overall ETA from the first second:
 * codes to compute (a network pass each), the head (a few seconds), scoring, and
 * fine-tuning (minutes) when asked for. Rough on purpose: the meter corrects it as it goes.
 */
function planOf(db: Db, config: Omit<TrainConfig, 'dataset'>, imageIds: number[]): Partial<Record<JobStage<'train'>, number>> {
  const missing = config.backbones.reduce((sum, b) => sum + listMissing(db, b, config.views, imageIds).todo.length, 0);
  return { codes: missing * 0.02, head: 3, score: 1, ...(config.fineTune ? { 'fine-tune': 120 } : {}) };
}

function requireTrainable(images: LabelledImage[]): void {
  const perClass = new Map<string, number>();
  for (const i of images) perClass.set(i.className, (perClass.get(i.className) ?? 0) + 1);
  if (perClass.size < 2) {
    throw new GraftError(
      'invalid_params',
      perClass.size === 0
        ? 'There are no labelled images to train on. Import a folder with one subfolder per class, or label some images.'
        : `Only one class (${[...perClass.keys()][0]}) has labelled images. A classifier needs at least two classes.`,
    );
  }
}

function newRunId(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${randomBytes(2).toString('hex')}`;
}
