import type { insightsMethods } from '../../../shared/api/insights';
import { GraftError } from '../errors';
import { liveLabelsOfAllImages } from '../catalogue/labels';
import { prelabel } from '../catalogue/prelabel';
import type { Engine } from '../engine';
import type { HandlerMap } from '../dispatch';

type InsightsMethod = keyof typeof insightsMethods;

export const insightsHandlers: HandlerMap<InsightsMethod> = {
  'insights.predictions': (engine) => engine.insights.predictions(),
  'insights.lists': (engine, p) => engine.insights.lists(p),
  'insights.projection': (engine) => engine.insights.projection(),
  'insights.labels': (engine) => liveLabelsOfAllImages(engine.db),
  'insights.prelabel': async (engine, p) => {
    const predictions = await engine.insights.predictions();
    if (!predictions.runId) {
      throw new GraftError('no_trained_model', 'Pre-labelling needs a trained model. Train one first, then pre-label the unlabelled images.');
    }
    const result = prelabel(engine.db, predictions, p.minConfidence);
    if (result.changed) engine.emit('catalogue.changed', { areas: ['classes', 'labels', 'images'] });
    return result;
  },
};
