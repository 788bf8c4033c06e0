import type { insightsMethods } from '../../../shared/api/insights';
import { GraftError } from '../errors';
import { InsightsCache } from '../insights/insights-cache';
import { prelabel } from '../insights/prelabel';
import type { Engine } from '../engine';
import type { HandlerMap } from '../dispatch';

type InsightsMethod = keyof typeof insightsMethods;

/** One cache per open project; it listens to the project's changes for its life. */
const caches = new WeakMap<Engine, InsightsCache>();

function cacheOf(engine: Engine): InsightsCache {
  let cache = caches.get(engine);
  if (!cache) {
    cache = new InsightsCache({ db: engine.db, modelsDir: engine.options.modelsDir, on: (event, handler) => engine.on(event, handler) });
    caches.set(engine, cache);
  }
  return cache;
}

export const insightsHandlers: HandlerMap<InsightsMethod> = {
  'insights.predictions': (engine) => cacheOf(engine).predictions(),
  'insights.lists': (engine, p) => cacheOf(engine).lists(p),
  'insights.projection': (engine) => cacheOf(engine).projection(),
  'insights.labels': (engine) => {
    const rows = engine.db
      .prepare(
        `SELECT i.id, (SELECT c.id FROM classes c WHERE c.id = i.class_id AND c.deleted_at IS NULL) AS classId FROM images i ORDER BY i.id`,
      )
      .all() as Array<{ id: number; classId: number | null }>;
    return { imageIds: rows.map((r) => r.id), classIds: rows.map((r) => r.classId) };
  },
  'insights.prelabel': async (engine, p) => {
    const predictions = await cacheOf(engine).predictions();
    if (!predictions.runId) {
      throw new GraftError('no_trained_model', 'Pre-labelling needs a trained model. Train one first, then pre-label the unlabelled images.');
    }
    const result = prelabel(engine.db, predictions, p.minConfidence);
    if (result.changed) engine.emit('catalogue.changed', { areas: ['classes', 'labels', 'images'] });
    return result;
  },
};
