/**
 * Insights figures on a 10,000-image project: the current model's predictions on
 * cached codes, the PCA map, the model-aware lists and the k-fold mistakes analysis,
 * each with the longest stall of the engine's event loop while it computes (what a
 * click in the studio waits for at worst).
 *
 * The project is synthetic (rows written directly, codes drawn around per-class
 * centres with the real backbones' dimensions) so the figures measure insights, not
 * import or extraction.
 */
import path from 'node:path';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { writeCodes, type CodeRow } from '../../main/engine/catalogue/codes';
import { DEFAULTS } from '../../shared/defaults';
import { flowersMiniDir, modelsDir, tempDir } from '../helpers/paths';
import { resultOf, runToEnd } from '../helpers/jobs';
import { makeSyntheticProject } from '../e2e/synthetic-project';
import type { Figures } from './run';

const IMAGES = 10_000;
const DIMS: Record<string, number> = { 'mobilenet_v1_0.75_224_at320': 768, 'mobilenet_v2_0.35_224_notop_at320': 1280 };

export async function run(): Promise<Figures> {
  const tmp = tempDir('graft-bench-insights-');
  const projectFile = path.join(tmp.dir, 'big.graft');
  try {
    await makeSyntheticProject(projectFile, flowersMiniDir, IMAGES);
    const engine = new Engine(projectFile, { modelsDir });
    try {
      writeSyntheticCodes(engine);
      resultOf(await runToEnd(engine, 'train', () => call(engine, 'train.start', { members: 1, epochs: 10 })));

      const predictionsStall = stallProbe();
      const predictionsCold = await timed(() => call(engine, 'insights.predictions', {}));
      const predictionsMaxStall = predictionsStall.stop();
      const predictionsCached = await timed(() => call(engine, 'insights.predictions', {}));
      const projectionStall = stallProbe();
      const projection = await timed(() => call(engine, 'insights.projection', {}));
      const projectionMaxStall = projectionStall.stop();
      const lists = await timed(() => call(engine, 'insights.lists', {}));
      const analysisStall = stallProbe();
      const analysis = await timed(() => call(engine, 'insights.lists', { analyse: true }));
      const analysisMaxStall = analysisStall.stop();
      const listsAfter = await timed(() => call(engine, 'insights.lists', {}));
      const snapshot = await call(engine, 'insights.predictions', {});
      return {
        insightsImages: snapshot.imageIds.length,
        insightsPredictionsColdMs: predictionsCold,
        insightsPredictionsMaxStallMs: predictionsMaxStall,
        insightsPredictionsCachedMs: predictionsCached,
        insightsProjectionMs: projection,
        insightsProjectionMaxStallMs: projectionMaxStall,
        insightsListsMs: lists,
        insightsMistakesAnalysisMs: analysis,
        insightsMistakesAnalysisMaxStallMs: analysisMaxStall,
        insightsListsAfterAnalysisMs: listsAfter,
      };
    } finally {
      await engine.close();
    }
  } finally {
    tmp.cleanup();
  }
}

/** Codes around one random centre per class, so the head has something to learn. */
function writeSyntheticCodes(engine: Engine): void {
  const rows = engine.db.prepare('SELECT id, COALESCE(class_id, 0) AS c FROM images ORDER BY id').all() as Array<{ id: number; c: number }>;
  let seed = 1;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (const backbone of DEFAULTS.training.backbones.value) {
    const dim = DIMS[backbone];
    const centres = new Map<number, Float32Array>();
    const batch: CodeRow[] = [];
    for (const r of rows) {
      let centre = centres.get(r.c);
      if (!centre) centres.set(r.c, (centre = Float32Array.from({ length: dim }, () => rand() * 2)));
      const data = Float32Array.from(centre, (v) => Math.max(0, v + (rand() - 0.5) * 3));
      batch.push({ imageId: r.id, backbone, view: 'center', data });
      if (batch.length === 1000) writeCodes(engine.db, batch.splice(0));
    }
    writeCodes(engine.db, batch);
  }
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return Math.round(performance.now() - t0);
}

/** The longest gap between 10 ms timer ticks, minus the 10 ms. */
function stallProbe(): { stop(): number } {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return Math.round(worst);
    },
  };
}
