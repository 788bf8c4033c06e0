import type { trainingMethods, PredictionItem } from '../../../shared/api/training';
import type { Engine } from '../engine';
import type { HandlerMap } from '../dispatch';
import { GraftError } from '../errors';
import { findMistakes } from '../training/find-mistakes';
import { expandInputs, loadPredictor, predictFiles, topK, type Predictor } from '../training/predict';
import { currentRunId, deleteRun, getRun, listRuns, reconcileInterruptedRuns, setCurrentRun } from '../training/runs';
import { runTraining } from '../training/train';

type TrainingMethod = keyof typeof trainingMethods;

/**
 * The loaded current model per open project, so the drop pane's second prediction is
 * warm (backbones loaded, kernels set up). Replaced when the current run changes.
 */
const predictors = new WeakMap<Engine, Promise<Predictor>>();

async function currentPredictor(engine: Engine, runId?: string): Promise<Predictor> {
  const wanted = runId ?? currentRunId(engine.db);
  if (!wanted) throw new GraftError('no_trained_model', 'This project has no trained model yet. Train one first.');
  const cached = predictors.get(engine);
  if (cached) {
    const p = await cached.catch(() => null);
    if (p && p.runId === wanted) return p;
    p?.dispose();
    predictors.delete(engine);
  }
  const loading = loadPredictor(engine.db, { runId: wanted, modelsDir: engine.options.modelsDir });
  predictors.set(engine, loading);
  loading.catch(() => predictors.delete(engine));
  return loading;
}

/** Drops the cached predictor (after its run was deleted, or when the project closes). */
export function releasePredictor(engine: Engine): void {
  const cached = predictors.get(engine);
  predictors.delete(engine);
  cached?.then((p) => p.dispose()).catch(() => undefined);
}

export const trainingHandlers: HandlerMap<TrainingMethod> = {
  /**
   * Starts a training run as a job: progress as `job.progress` (stages 'codes',
   * 'head', 'fine-tune', 'score'), each epoch as `training.epoch`, the TrainResult in
   * `job.finished`. Fails at once when a run is already training.
   */
  'train.start': (engine, p) => {
    if (engine.jobs.isRunning('train')) {
      throw new GraftError('busy', 'A training run is already in progress. Wait for it to finish, or cancel it first.');
    }
    const job = engine.jobs.start('train', (ctx) =>
      runTraining(
        {
          db: engine.db,
          modelsDir: engine.options.modelsDir,
          jobId: ctx.jobId,
          signal: ctx.signal,
          progress: (stage, done, total, message) => ctx.progress(stage, done, total, message),
          onEpoch: (e) => engine.emit('training.epoch', e),
          onRunsChanged: () => engine.emit('catalogue.changed', { areas: ['runs'] }),
        },
        p,
      ),
    );
    return { jobId: job.jobId };
  },

  'runs.list': (engine) => {
    if (!engine.jobs.isRunning('train')) reconcileInterruptedRuns(engine.db);
    return listRuns(engine.db);
  },
  'runs.get': (engine, p) => getRun(engine.db, p.id),
  'runs.delete': (engine, p) => {
    deleteRun(engine.db, p.id);
    releasePredictor(engine);
    engine.emit('catalogue.changed', { areas: ['runs'] });
    return { deleted: true };
  },
  'runs.setCurrent': (engine, p) => {
    setCurrentRun(engine.db, p.id);
    engine.emit('catalogue.changed', { areas: ['runs'] });
    const summary = listRuns(engine.db).find((r) => r.id === p.id);
    if (!summary) throw new GraftError('not_found', `No run ${p.id}.`);
    return summary;
  },

  'mistakes.get': (engine, p) => findMistakes(engine.db, { limit: p.limit, backbones: p.backbones, modelsDir: engine.options.modelsDir }),

  'predict.files': async (engine, p) => {
    const files = expandInputs(p.paths);
    const predictor = await currentPredictor(engine, p.runId);
    const predictions = await predictFiles(predictor, files, { top: p.top });
    return { runId: predictor.runId, predictions };
  },

  'predict.image': async (engine, p): Promise<PredictionItem> => {
    const predictor = await currentPredictor(engine);
    const source = p.path ? expandInputs([p.path])[0] : Buffer.from(p.base64!, 'base64');
    if (!p.path && (source as Buffer).length === 0) throw new GraftError('bad_image', 'The dropped data is empty.');
    const [probs] = await predictor.probabilities([source]);
    return { path: p.path ? (source as string) : (p.name ?? 'dropped image'), top: topK(predictor.classes, probs, p.top) };
  },
};
