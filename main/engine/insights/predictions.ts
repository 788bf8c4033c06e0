/**
 * The current model's prediction for every image with cached codes: the run's head applied
 * to the run's backbones' cached codes (averaged over the run's views). The scoring runs in
 * a worker thread, which reads the run and the codes itself.
 */
import type { PredictionsSnapshot } from '../../../shared/api/insights';
import { liveClassIds } from '../catalogue/classes';
import { codeReaderOf } from '../catalogue/codes';
import { allImageIds } from '../catalogue/images';
import { withReadOnlyProject, type Db } from '../catalogue/open';
import { currentRunId, runWeights } from '../catalogue/runs';
import { buildFeatureTable } from '../model/features';
import { argMax } from '../model/metrics';
import { scoreModel } from '../model/score';
import { decodeModel } from '../model/stored-model';
import { getTf } from '../tf/runtime';
import type { TaskInput, TaskOutput } from '../workers/task-types';
import type { WorkerPool } from '../workers/worker-pool';

export async function computePredictions(db: Db, projectPath: string, pool: WorkerPool): Promise<PredictionsSnapshot> {
  const started = Date.now();
  const runId = currentRunId(db);
  if (!runId) return { runId: null, classes: [], classIds: [], imageIds: [], predicted: [], confidence: [], approximate: false, seconds: 0 };
  const scored = await pool.run('predict-codes', { projectPath, runId });
  return { ...scored, classIds: liveClassIds(db, scored.classes), seconds: Math.round((Date.now() - started) / 10) / 100 };
}

/** The worker's side: read the run and every image's codes, score them. */
export async function predictCodes(input: TaskInput<'predict-codes'>): Promise<TaskOutput<'predict-codes'>> {
  const { model, table } = withReadOnlyProject(input.projectPath, (db) => {
    const model = decodeModel(runWeights(db, input.runId));
    const backbones = model.backbones.map((b) => b.id);
    return { model, table: buildFeatureTable(codeReaderOf(db), backbones, model.views, allImageIds(db)) };
  });
  const { tf } = await getTf();
  const k = model.classes.length;
  const n = table.imageIds.length;
  const probs = scoreModel(tf, model.head, table, table.imageIds.map((_, i) => i), model.views);
  const predicted: number[] = new Array(n);
  const confidence: number[] = new Array(n);
  for (let row = 0; row < n; row++) {
    const best = argMax(probs, row * k, k);
    predicted[row] = best;
    confidence[row] = Math.round(probs[row * k + best] * 1e4) / 1e4;
  }
  return { runId: input.runId, classes: model.classes, imageIds: table.imageIds, predicted, confidence, approximate: Boolean(model.fineTuned) };
}
