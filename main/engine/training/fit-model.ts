/**
 * A training run's arithmetic, in a worker thread: read the images' cached codes, train the
 * head with early stopping, optionally fine-tune the backbone's top block, add the neighbour
 * vote, evaluate on every split, encode the model and finish the run in the project.
 * train.ts (main thread) deals the splits, computes missing codes and starts the run row.
 */
import type { EvaluationResult, RunMetrics, StoredEpoch } from '../../../shared/api/training';
import type { Split } from '../../../shared/types';
import { codeReaderOf } from '../catalogue/codes';
import { openProject, withReadOnlyProject } from '../catalogue/open';
import { finishRun } from '../catalogue/runs';
import { GraftError } from '../errors';
import { buildFeatureTable, examplesOf, type FeatureTable } from '../model/features';
import { trainHead, type HeadParams, type Tf } from '../model/head';
import { confusionCellIds, evaluate } from '../model/metrics';
import { scoreModel } from '../model/score';
import { encodeModel, type StoredModel } from '../model/stored-model';
import { withVote } from '../model/vote';
import { calibrateNovelty, matMulProduct } from '../model/novelty';
import { getTf } from '../tf/runtime';
import type { FitModelInput, FitModelOutput, TaskContext } from '../workers/task-types';
import { fineTune, type FineTuneOutcome } from './fine-tune';

/**
 * Started while a run computes its codes: a new worker took 0.6-0.9 s to load TF.js before
 * the head's first epoch (0.2 s in a worker that had), and the codes leave time for it.
 */
export async function prepareFit(): Promise<null> {
  await getTf();
  return null;
}

export async function fitModel(input: FitModelInput, ctx: TaskContext<'fit-model'>): Promise<FitModelOutput> {
  const { config, classes, images } = input;
  const table = withReadOnlyProject(input.projectPath, (db) =>
    buildFeatureTable(codeReaderOf(db), config.backbones, config.views, images.map((i) => i.imageId)),
  );
  if (table.missing.length) {
    throw new GraftError('conflict', `${table.missing.length} image(s) lost their codes while training started (were codes cleared?). Train again.`);
  }
  const labels = Int32Array.from(config.dataset.classIndex);
  const rowsOf = (split: Split) => images.flatMap((img, r) => (img.split === split ? [r] : []));
  const rows = { train: rowsOf('train'), validation: rowsOf('validation'), test: rowsOf('test') };
  const { tf } = await getTf();
  // Every epoch as reported, for the finished run (the main thread saves it as it goes).
  const history: StoredEpoch[] = [];
  const report = (epoch: StoredEpoch) => {
    history.push(epoch);
    ctx.event(epoch);
  };

  // Early stopping watches the centre view only: cheap, and it ranks epochs the same way.
  const trained = await trainHead(tf, {
    config: config.head,
    seed: config.seed,
    classCount: classes.length,
    train: examplesOf(table, rows.train, labels, config.views),
    validation: rows.validation.length ? examplesOf(table, rows.validation, labels, ['center']) : null,
    signal: ctx.signal,
    onEpoch: (m) => {
      ctx.progress('head', m.epoch, config.head.maxEpochs, `epoch ${m.epoch}`);
      report({ stage: 'head', ...m });
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
    withVote(head, examplesOf(t, voters, labels, ['center']), { temperature: config.head.vote ?? 0, blocks: t.dims, shares: config.head.voteShares, seed: config.seed });
  // Whatever is judged or measured on validation has only the training images voting (a
  // validation photo would otherwise find itself). The model the user gets lets the
  // validation images vote too: more neighbours, and the test images still never seen
  // (docs/experiments.md, round 8).
  const withTrainingVote = withVoteOf(rows.train);
  const withFinalVote = withVoteOf([...rows.train, ...rows.validation]);

  let fineTuneReport: RunMetrics['fineTune'];
  let scoringTable = table;
  if (config.fineTune) {
    const outcome = await fineTune({
      tf,
      modelsDir: input.modelsDir,
      model,
      table,
      head: config.head,
      settings: config.fineTune,
      seed: config.seed,
      images,
      labels,
      rows,
      signal: ctx.signal,
      progress: (done, total, message) => ctx.progress('fine-tune', done, total, message),
      onEpoch: (m) => report({ stage: 'fine-tune', ...m }),
    });
    const judged = config.head.vote ? judgeWithVote(tf, { model, table }, outcome, rows.validation, labels, withTrainingVote) : outcome;
    model = judged.model;
    fineTuneReport = judged.report;
    // A kept fine-tune changes the codes themselves: score with the recomputed ones.
    if (judged.report.kept && judged.table) scoringTable = judged.table;
  }

  // The vote is added last, on the final codes (after a kept fine-tune, the recomputed ones).
  const trainedHead = model.head;
  if (config.head.vote) model = { ...model, head: withFinalVote(trainedHead, scoringTable) };
  const validationHead = config.head.vote ? withTrainingVote(trainedHead, scoringTable) : model.head;
  if (config.head.vote) {
    // Photos no vote held: validation against the training photos' vote, test against the final one.
    const probe = (head: HeadParams, r: number[]) => ({ head, x: examplesOf(scoringTable, r, labels, ['center']).x, rows: r.length });
    const novelty = calibrateNovelty(scoringTable.dims, [probe(validationHead, rows.validation), probe(model.head, rows.test)], matMulProduct(tf));
    if (novelty) model = { ...model, novelty };
  }
  const splitsToScore = rows.train.length + rows.validation.length + rows.test.length;
  let scored = 0;
  // Each confusion cell keeps its image ids, so the studio can open exactly those images.
  const evalSplit = (r: number[], head: HeadParams): EvaluationResult | null => {
    if (!r.length) return null;
    if (ctx.signal.aborted) throw new GraftError('cancelled', 'Training was cancelled.');
    const truth = Array.from(r, (i) => labels[i]);
    const probabilities = scoreModel(tf, head, scoringTable, r, config.views);
    scored += r.length;
    ctx.progress('score', scored, splitsToScore);
    const ids = r.map((i) => images[i].imageId);
    return { ...evaluate(classes, truth, probabilities), cellImageIds: confusionCellIds(classes.length, truth, probabilities, ids) };
  };
  const trainEval = evalSplit(rows.train, model.head);
  const valEval = evalSplit(rows.validation, validationHead);
  const testEval = evalSplit(rows.test, model.head);
  if (ctx.signal.aborted) throw new GraftError('cancelled', 'Training was cancelled.');
  const metrics: RunMetrics = {
    accuracy: { train: trainEval?.accuracy ?? 0, validation: valEval?.accuracy ?? null, test: testEval?.accuracy ?? null },
    counts: input.counts,
    validation: valEval,
    test: testEval,
    bestEpoch: trained.bestEpoch,
    excluded: input.excluded,
    ...(fineTuneReport ? { fineTune: fineTuneReport } : {}),
  };
  const seconds = Math.round((Date.now() - input.startedAt) / 10) / 100;
  // Finished from here, not by the main thread: see finishRun.
  const db = openProject(input.projectPath, { create: false, readonly: false });
  try {
    finishRun(db, input.runId, { history, metrics, weights: encodeModel(model), seconds });
  } finally {
    db.close();
  }
  return { metrics, seconds };
}

/**
 * Fine-tuning picks its epoch by the trained head alone, but the model the user gets also
 * has the neighbour vote (built on whichever codes the model ends with). So the tuned
 * network is kept only if head and vote together score higher on validation than they did
 * before it, and the report gives those figures.
 */
function judgeWithVote(
  tf: Tf,
  before: { model: StoredModel; table: FeatureTable },
  outcome: FineTuneOutcome,
  validation: number[],
  labels: Int32Array,
  withTrainingVote: (head: HeadParams, table: FeatureTable) => HeadParams,
): FineTuneOutcome {
  if (!validation.length) return outcome;
  const truth = validation.map((r) => labels[r]);
  const accuracy = (model: StoredModel, table: FeatureTable) =>
    evaluate(model.classes, truth, scoreModel(tf, withTrainingVote(model.head, table), table, validation, model.views)).accuracy;
  const validationBefore = accuracy(before.model, before.table);
  const validationAfter = outcome.report.kept && outcome.table ? accuracy(outcome.model, outcome.table) : validationBefore;
  if (validationAfter > validationBefore) return { ...outcome, report: { ...outcome.report, validationBefore, validationAfter } };
  return { model: before.model, report: { ...outcome.report, validationBefore, validationAfter: validationBefore, kept: false } };
}
