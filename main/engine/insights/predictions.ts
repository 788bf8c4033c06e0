/**
 * The current model's prediction for every image with cached codes: the run's head
 * applied to the run's backbones' cached codes (averaged over the run's views), in
 * slices that yield to the event loop (see scoreModel), so the app keeps answering
 * while 10,000 images are scored.
 */
import type { PredictionsSnapshot } from '../../../shared/api/insights';
import type { Db } from '../catalogue/open';
import { getTf } from '../tf/runtime';
import { buildFeatureTable } from '../model/features';
import { argMax } from '../model/metrics';
import { readCodesGently } from '../training/read-codes-gently';
import { currentRunId, runWeights } from '../training/runs';
import { scoreModel } from '../training/train';
import { decodeModel } from '../model/stored-model';

export async function computePredictions(db: Db): Promise<PredictionsSnapshot> {
  const started = Date.now();
  const runId = currentRunId(db);
  if (!runId) return { runId: null, classes: [], classIds: [], imageIds: [], predicted: [], confidence: [], approximate: false, seconds: 0 };
  const model = decodeModel(runWeights(db, runId));
  const allIds = (db.prepare('SELECT id FROM images ORDER BY id').pluck().all() as number[]);
  const backbones = model.backbones.map((b) => b.id);
  const table = buildFeatureTable(await readCodesGently(db, backbones, model.views, allIds), backbones, model.views, allIds);
  const { tf } = await getTf();
  const k = model.classes.length;
  const predicted: number[] = new Array(table.imageIds.length);
  const confidence: number[] = new Array(table.imageIds.length);
  // scoreModel works in slices and yields between them.
  const probs = await scoreModel(tf, model.head, table, table.imageIds.map((_, i) => i), model.views);
  for (let row = 0; row < table.imageIds.length; row++) {
    const best = argMax(probs, row * k, k);
    predicted[row] = best;
    confidence[row] = Math.round(probs[row * k + best] * 1e4) / 1e4;
  }
  return {
    runId,
    classes: model.classes,
    classIds: liveClassIds(db, model.classes),
    imageIds: table.imageIds,
    predicted,
    confidence,
    approximate: Boolean(model.fineTuned),
    seconds: Math.round((Date.now() - started) / 10) / 100,
  };
}

/** The live class of each name (classes are matched by name: a run stores names). */
export function liveClassIds(db: Db, names: string[]): Array<number | null> {
  const byName = new Map(
    (db.prepare('SELECT id, name FROM classes WHERE deleted_at IS NULL').all() as Array<{ id: number; name: string }>).map((c) => [c.name, c.id]),
  );
  return names.map((n) => byName.get(n) ?? null);
}
