import type { trainingMethods, PredictionItem } from '../../../shared/api/training';
import type { Engine } from '../engine';
import type { HandlerMap } from '../dispatch';
import { GraftError } from '../errors';
import { loadExportedModel } from '../export/exported-model';
import { findMistakes } from '../training/find-mistakes';
import { asClassifier, expandInputs, predictFiles, predictionOf } from '../training/predict';
import { deleteRun, getRun, listRuns, reconcileInterruptedRuns, setCurrentRun } from '../catalogue/runs';
import { runTraining } from '../training/train';

type TrainingMethod = keyof typeof trainingMethods;

export const trainingHandlers: HandlerMap<TrainingMethod> = {
  /**
   * Starts a training run as a job: progress as `job.progress` (stages 'codes', 'head',
   * 'fine-tune', 'score'), each epoch as `training.epoch`, the TrainResult in `job.finished`.
   */
  'train.start': async (engine, p) => {
    const db = engine.db;
    const job = await engine.jobs.startWhenFree('train', (ctx) =>
      runTraining(
        {
          db,
          projectPath: engine.projectPath!,
          workers: engine.compute,
          modelsDir: engine.options.modelsDir,
          jobId: ctx.jobId,
          signal: ctx.signal,
          progress: ctx.progress,
          plan: ctx.plan,
          onEpoch: (e) => engine.emit('training.epoch', e),
          onRunsChanged: () => engine.emit('catalogue.changed', { areas: ['runs'] }),
        },
        p,
      ),
    );
    return { jobId: job.jobId };
  },

  'runs.list': (engine) => {
    // A read-only project keeps its interrupted runs as they are; listing them must not write.
    if (!engine.jobs.isRunning('train') && engine.readOnlyReason === null) reconcileInterruptedRuns(engine.db);
    return listRuns(engine.db);
  },
  'runs.get': (engine, p) => getRun(engine.db, p.id),
  'runs.delete': (engine, p) => {
    deleteRun(engine.db, p.id);
    engine.predictors.release();
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

  'mistakes.start': async (engine, p) => {
    const db = engine.db;
    const job = await engine.jobs.startWhenFree('mistakes', (ctx) =>
      findMistakes(db, {
        limit: p.limit,
        backbones: p.backbones,
        modelsDir: engine.options.modelsDir,
        signal: ctx.signal,
        progress: ctx.progress,
        projectPath: engine.projectPath!,
        pool: engine.compute,
      }),
    );
    return { jobId: job.jobId };
  },

  /**
   * Predicts files as a job. The inputs are checked first (a missing path, a folder without
   * images), so a typo fails the call itself rather than a job.
   */
  'predict.start': (engine, p) => {
    const files = expandInputs(p.paths);
    if (!p.modelDir) engine.requireProject();
    const job = engine.jobs.start('predict', async (ctx) => {
      ctx.progress('load', 0, 1);
      const exported = p.modelDir ? await loadExportedModel(p.modelDir, engine.compute) : null;
      try {
        const predictor = exported ? { runId: exported.runId, ...asClassifier(exported) } : await engine.predictors.get(p.runId);
        ctx.progress('load', 1, 1);
        const predictions = await predictFiles(predictor, files, {
          top: p.top,
          strict: p.strict,
          signal: ctx.signal,
          onProgress: (done, total) => ctx.progress('predict', done, total),
        });
        await addThumbnails(engine, predictions.slice(0, p.thumbnails), ctx.signal);
        return { runId: predictor.runId, predictions };
      } finally {
        exported?.dispose();
      }
    });
    return { jobId: job.jobId };
  },

  'predict.image': async (engine, p): Promise<PredictionItem> => {
    const predictor = await engine.predictors.get();
    const source = p.path ? expandInputs([p.path])[0] : Buffer.from(p.base64!, 'base64');
    if (!p.path && (source as Buffer).length === 0) throw new GraftError('bad_image', 'The dropped data is empty.');
    const [result] = await predictor.classify([source]);
    return predictionOf(predictor, p.path ? (source as string) : (p.name ?? 'dropped image'), result, p.top);
  },
};

/** Long side of a folder prediction's thumbnail: the predict pane's cards show 112 px, at 2× for sharp screens. */
const PREDICT_THUMBNAIL_SIDE = 224;

/**
 * Thumbnails for predicted files, so the studio shows the photos rather than placeholders:
 * decoded in the media workers (which bound how many at once); a file that cannot be
 * shown keeps its prediction without one.
 */
async function addThumbnails(engine: Engine, items: PredictionItem[], signal: AbortSignal): Promise<void> {
  await Promise.all(
    items.map(async (item) => {
      if (item.error) return;
      try {
        const jpeg = await engine.media.run('render-preview', { paths: [item.path], longSide: PREDICT_THUMBNAIL_SIDE }, { signal });
        item.thumbnail = `data:image/jpeg;base64,${Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength).toString('base64')}`;
      } catch (err) {
        if (signal.aborted) throw err;
      }
    }),
  );
}
