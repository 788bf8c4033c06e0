/**
 * One training run, start to finish: deal splits, compute missing codes, train the
 * head with early stopping, evaluate on validation and test, optionally fine-tune the
 * backbone's top layer, and store the run. The run row is written as it goes; only a
 * finished run becomes the current model (in the same transaction that stores its
 * weights), so a cancel, crash or kill never replaces the previous model.
 */
import { randomBytes } from 'node:crypto';
import type { TrainingEpochEvent } from '../../../shared/events';
import type { EvaluationResult, ExcludedReport, RunMetrics, StoredEpoch, TrainConfig, TrainOptions, TrainResult } from '../../../shared/api/training';
import type { Split } from '../../../shared/types';
import type { Db } from '../catalogue/open';
import { ensureCodes } from '../codes/extract';
import { yieldToEventLoop } from '../event-loop';
import { GraftError } from '../errors';
import { getTf } from '../tf/runtime';
import { DEFAULT_FLIP, DEFAULT_SEED, DEFAULT_TRAIN_BACKBONES, FINE_TUNE_DEFAULTS, HEAD_DEFAULTS, voteSharesFor } from './defaults';
import { buildFeatureTable, catalogueCodes, examplesOf, type FeatureTable, type View } from '../model/features';
import { headPredictor, trainHead, type HeadParams, type Tf } from '../model/head';
import { confusionCellIds, evaluate } from '../model/metrics';
import { createRun, endRun, finishRun, reconcileInterruptedRuns, saveHistory } from './runs';
import { assignSplits, DEFAULT_FRACTIONS, labelledImages, type LabelledImage } from '../model/splits';
import { encodeModel, type StoredModel } from '../model/stored-model';
import { fineTune, type FineTuneOutcome } from './fine-tune';
import { withVote } from '../model/vote';

export interface TrainContext {
  db: Db;
  modelsDir?: string;
  jobId: string;
  signal: AbortSignal;
  progress(stage: 'codes' | 'head' | 'fine-tune' | 'score', done: number, total: number, message?: string): void;
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
  const flip = options.flip ?? DEFAULT_FLIP;
  const backbones = options.backbones?.length ? [...options.backbones] : [...DEFAULT_TRAIN_BACKBONES];
  return {
    seed: options.seed ?? DEFAULT_SEED,
    backbones,
    views: flip ? ['center', 'flip'] : ['center'],
    head: {
      ...HEAD_DEFAULTS,
      ...(options.epochs !== undefined ? { maxEpochs: options.epochs } : {}),
      ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
      ...(options.hidden !== undefined ? { hidden: options.hidden } : {}),
      ...(options.members !== undefined ? { members: options.members } : {}),
      ...(options.vote === false ? { vote: 0 } : { voteShares: voteSharesFor(backbones) }),
    },
    fractions: options.fractions ?? DEFAULT_FRACTIONS,
    reshuffle: Boolean(options.reshuffle),
    fineTune: options.fineTune
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

  // Codes first (cached ones are reused; only what is missing is computed).
  const codes = await ensureCodes(db, {
    backbones: config.backbones,
    views: config.views,
    modelsDir: ctx.modelsDir,
    signal: ctx.signal,
    imageIds: images.map((i) => i.imageId),
    onProgress: (p) => {
      if (p.stage === 'codes') ctx.progress('codes', p.done, p.total, p.backbone);
      else ctx.progress('codes', 0, 0, p.stage === 'download' ? `downloading ${p.backbone}` : `loading ${p.backbone}`);
    },
  });
  if (ctx.signal.aborted) throw new GraftError('cancelled', 'Training was cancelled.');

  const table = buildFeatureTable(catalogueCodes(db), config.backbones, config.views, images.map((i) => i.imageId));
  const byId = new Map(images.map((i) => [i.imageId, i]));
  const failedByPath = new Map(codes.failed.map((f) => [f.path, f.reason]));
  excluded.unreadable = table.missing.map((id) => {
    const img = byId.get(id)!;
    return { path: img.path, reason: failedByPath.get(img.path) ?? 'The file is missing or could not be read.' };
  });
  const kept = table.imageIds.map((id) => byId.get(id)!);
  requireTrainable(kept);

  // Classes in display order, only those with something to learn from.
  const classes = [...new Set(kept.map((i) => i.className))];
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const labels = Int32Array.from(kept, (i) => classIndex.get(i.className)!);
  const rowsOf = (split: Split) => kept.flatMap((img, r) => (img.split === split ? [r] : []));
  const rows = { train: rowsOf('train'), validation: rowsOf('validation'), test: rowsOf('test') };
  if (!rows.train.length) throw new GraftError('invalid_params', 'No images ended up in the training split. Add more labelled images.');

  const fullConfig: TrainConfig = {
    ...config,
    dataset: {
      imageIds: kept.map((i) => i.imageId),
      classIndex: Array.from(labels),
      splits: kept.map((i) => (i.split === 'train' ? 't' : i.split === 'validation' ? 'v' : 's')).join(''),
    },
  };
  const runId = newRunId();
  createRun(db, runId, fullConfig, classes);
  ctx.onRunsChanged?.();

  const history: StoredEpoch[] = [];
  try {
    const { tf } = await getTf();
    const train = examplesOf(table, rows.train, labels, config.views);
    // Early stopping watches the centre view only: cheap, and it ranks epochs the same way.
    const validation = rows.validation.length ? examplesOf(table, rows.validation, labels, ['center']) : null;
    const trained = await trainHead(tf, {
      config: config.head,
      seed: config.seed,
      classCount: classes.length,
      train,
      validation,
      signal: ctx.signal,
      onEpoch: (m) => {
        const e: StoredEpoch = { stage: 'head', ...m };
        history.push(e);
        saveHistory(db, runId, history);
        ctx.progress('head', m.epoch, config.head.maxEpochs, `epoch ${m.epoch}`);
        ctx.onEpoch?.({ jobId: ctx.jobId, runId, stage: 'head', epochs: config.head.maxEpochs, ...m });
      },
    });
    let model: StoredModel = {
      classes,
      backbones: config.backbones.map((id, j) => ({ id, dim: table.dims[j] })),
      views: config.views,
      head: trained.params,
    };

    /** The head with the vote of `voters`' centre-view codes in `t` appended. */
    const withVoteOf = (voters: number[]) => (head: HeadParams, t: FeatureTable): HeadParams =>
      withVote(head, examplesOf(t, voters, labels, ['center']), {
        temperature: config.head.vote ?? 0,
        blocks: t.dims,
        shares: config.head.voteShares,
        seed: config.seed,
      });
    // Whatever is judged or measured on validation has only the training images voting
    // (a validation photo would otherwise find itself). The model the user gets lets the
    // validation images vote too: more neighbours, and the test images still never seen
    // (defaults.ts, eighth round).
    const withTrainingVote = withVoteOf(rows.train);
    const withFinalVote = withVoteOf([...rows.train, ...rows.validation]);
    let fineTuneReport: RunMetrics['fineTune'];
    let scoringTable = table;
    if (config.fineTune) {
      const outcome = await fineTune({
        tf,
        modelsDir: ctx.modelsDir,
        model,
        table,
        head: config.head,
        settings: config.fineTune,
        seed: config.seed,
        images: kept,
        labels,
        rows,
        signal: ctx.signal,
        progress: (done, total, message) => ctx.progress('fine-tune', done, total, message),
        onEpoch: (m) => {
          const e: StoredEpoch = { stage: 'fine-tune', ...m };
          history.push(e);
          saveHistory(db, runId, history);
          ctx.onEpoch?.({ jobId: ctx.jobId, runId, stage: 'fine-tune', epochs: config.fineTune!.epochs, ...m });
        },
      });
      const judged = config.head.vote ? await judgeWithVote(tf, { model, table }, outcome, rows.validation, labels, withTrainingVote) : outcome;
      model = judged.model;
      fineTuneReport = judged.report;
      // A kept fine-tune changes the codes themselves: score with the recomputed ones.
      if (judged.report.kept && judged.table) scoringTable = judged.table;
    }

    // The vote is added last, on the final codes (after a kept fine-tune, the recomputed ones).
    const trainedHead = model.head;
    if (config.head.vote) model = { ...model, head: withFinalVote(trainedHead, scoringTable) };
    const validationHead = config.head.vote ? withTrainingVote(trainedHead, scoringTable) : model.head;
    // Each confusion cell keeps its image ids, so the studio can open exactly those images.
    const evalSplit = async (r: number[], head: HeadParams): Promise<EvaluationResult | null> => {
      if (!r.length) return null;
      const truth = Array.from(r, (i) => labels[i]);
      const probabilities = await scoreModel(tf, head, scoringTable, r, config.views);
      const ids = r.map((i) => kept[i].imageId);
      return { ...evaluate(classes, truth, probabilities), cellImageIds: confusionCellIds(classes.length, truth, probabilities, ids) };
    };
    // Scoring with the vote takes seconds on a big project: a stage of its own, so the studio
    // does not show the last head epoch as still running.
    const scored = rows.train.length + rows.validation.length + rows.test.length;
    ctx.progress('score', 0, scored, 'scoring');
    const trainEval = await evalSplit(rows.train, model.head);
    ctx.progress('score', rows.train.length, scored, 'scoring');
    const valEval = await evalSplit(rows.validation, validationHead);
    ctx.progress('score', rows.train.length + rows.validation.length, scored, 'scoring');
    const testEval = await evalSplit(rows.test, model.head);
    ctx.progress('score', scored, scored, 'scoring');
    const metrics: RunMetrics = {
      accuracy: { train: trainEval?.accuracy ?? 0, validation: valEval?.accuracy ?? null, test: testEval?.accuracy ?? null },
      counts: { train: rows.train.length, validation: rows.validation.length, test: rows.test.length },
      validation: valEval,
      test: testEval,
      bestEpoch: trained.bestEpoch,
      excluded,
      ...(fineTuneReport ? { fineTune: fineTuneReport } : {}),
    };
    const seconds = round2((Date.now() - started) / 1000);
    if (ctx.signal.aborted) throw new GraftError('cancelled', 'Training was cancelled.');
    finishRun(db, runId, { history, metrics, weights: encodeModel(model), seconds });
    ctx.onRunsChanged?.();
    const shown = testEval ?? valEval;
    return {
      runId,
      classes,
      accuracy: metrics.accuracy,
      perClass: shown?.perClass ?? {},
      confusion: shown?.confusion ?? [],
      seconds,
      excluded,
      ...(fineTuneReport ? { fineTune: fineTuneReport } : {}),
    };
  } catch (err) {
    const cancelled = ctx.signal.aborted || (err instanceof GraftError && err.code === 'cancelled');
    endRun(db, runId, cancelled ? 'cancelled' : 'failed', cancelled ? 'Cancelled; the previous model was kept.' : (err as Error).message, (Date.now() - started) / 1000);
    ctx.onRunsChanged?.();
    throw err;
  }
}

/**
 * Fine-tuning picks its epoch by the trained head alone, but the model the user gets also
 * has the neighbour vote (built on whichever codes the model ends with). So the tuned
 * network is kept only if head and vote together score higher on validation than they did
 * before it, and the report gives those figures.
 */
async function judgeWithVote(
  tf: Tf,
  before: { model: StoredModel; table: FeatureTable },
  outcome: FineTuneOutcome,
  validation: number[],
  labels: Int32Array,
  withTrainingVote: (head: HeadParams, table: FeatureTable) => HeadParams,
): Promise<FineTuneOutcome> {
  if (!validation.length) return outcome;
  const truth = validation.map((r) => labels[r]);
  const accuracy = async (model: StoredModel, table: FeatureTable) =>
    evaluate(model.classes, truth, await scoreModel(tf, withTrainingVote(model.head, table), table, validation, model.views)).accuracy;
  const validationBefore = await accuracy(before.model, before.table);
  const validationAfter = outcome.report.kept && outcome.table ? await accuracy(outcome.model, outcome.table) : validationBefore;
  if (validationAfter > validationBefore) return { ...outcome, report: { ...outcome.report, validationBefore, validationAfter } };
  return { model: before.model, report: { ...outcome.report, validationBefore, validationAfter: validationBefore, kept: false } };
}

/**
 * Rows scored per head call in `scoreModel`. With the neighbour vote every row is also a
 * product with up to 2,000 voters' codes, so slices stay small and the event loop gets a
 * turn after each (insights bench, 10,000 rows: longest stall 121–129 ms in two runs, against
 * 140–181 ms in four with 256 and 220 ms with 512; the whole scoring took 3.5–4 s either way).
 */
const SCORE_SLICE = 128;

/** Probabilities for table rows, averaged over the model's views, yielding between slices. */
export async function scoreModel(tf: Tf, head: HeadParams, table: FeatureTable, rowIndices: number[], views: View[]): Promise<Float32Array> {
  const k = head.classCount;
  const sum = new Float32Array(rowIndices.length * k);
  const noLabels = new Int32Array(table.imageIds.length);
  const predictor = headPredictor(tf, head);
  try {
    for (const view of views) {
      for (let start = 0; start < rowIndices.length; start += SCORE_SLICE) {
        const ex = examplesOf(table, rowIndices.slice(start, start + SCORE_SLICE), noLabels, [view]);
        const p = predictor.predict(ex.x, ex.rows);
        for (let i = 0; i < p.length; i++) sum[start * k + i] += p[i] / views.length;
        await yieldToEventLoop();
      }
    }
  } finally {
    predictor.dispose();
  }
  return sum;
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

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
