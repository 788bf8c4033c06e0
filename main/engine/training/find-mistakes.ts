/**
 * Likely label mistakes in a project: out-of-fold scoring of every labelled image on its
 * cached codes (see mistakes.ts), confident-learning suspects, near-duplicates across
 * classes, and the images whose identical bytes carry conflicting folder labels.
 */
import type { MistakesResult, NearDuplicate, Suspect } from '../../../shared/api/training';
import type { Db } from '../catalogue/open';
import { ensureCodes } from '../codes/extract';
import { getTf } from '../tf/runtime';
import { DEFAULT_TRAIN_BACKBONES, MISTAKES_FOLDS, MISTAKES_HEAD, NEAR_DUPLICATE_SIMILARITY } from './defaults';
import { buildFeatureTable } from '../model/features';
import { readCodesGently } from './read-codes-gently';
import { currentRunId, getRun } from './runs';
import { labelledImages } from '../model/splits';
import { GraftError } from '../errors';
import { confidentLearningSuspects, crossClassNearDuplicates, outOfFoldProbabilities } from '../model/mistakes';

export interface FindMistakesOptions {
  limit: number;
  /** Default: the current model's backbones, else the training default. */
  backbones?: string[];
  modelsDir?: string;
  seed?: number;
  signal?: AbortSignal;
  progress?: (stage: string, done: number, total: number) => void;
}

export async function findMistakes(db: Db, options: FindMistakesOptions): Promise<MistakesResult> {
  const started = Date.now();
  const current = currentRunId(db);
  const backbones = options.backbones ?? (current ? getRun(db, current).backbones : DEFAULT_TRAIN_BACKBONES);
  const images = labelledImages(db);
  const ids = images.map((i) => i.imageId);
  const conflicts = conflictedImages(db);
  if (images.length) {
    await ensureCodes(db, {
      backbones,
      views: ['center'],
      modelsDir: options.modelsDir,
      signal: options.signal,
      imageIds: ids,
      onProgress: (p) => options.progress?.('codes', p.done, p.total),
    });
  }
  if (options.signal?.aborted) throw new GraftError('cancelled', 'Cancelled.');
  const table = buildFeatureTable(await readCodesGently(db, backbones, ['center'], ids), backbones, ['center'], ids);
  const byId = new Map(images.map((i) => [i.imageId, i]));
  const kept = table.imageIds.map((id) => byId.get(id)!);
  const classes = [...new Set(kept.map((i) => i.className))];
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const labels = Int32Array.from(kept, (i) => classIndex.get(i.className)!);

  let suspects: Suspect[] = [];
  let outOfFoldAccuracy = 0;
  let nearDuplicates: NearDuplicate[] = conflicts.flatMap((c) =>
    c.paths.length > 1 ? [{ a: c.paths[0], b: c.paths[1], aImageId: c.imageId, bImageId: c.imageId, aLabel: c.labels[0] ?? '', bLabel: c.labels[1] ?? c.labels[0] ?? '', similarity: 1 }] : [],
  );
  const { tf } = await getTf();
  if (classes.length >= 2 && kept.length >= 4) {
    const x = table.rows.center!;
    const probs = await outOfFoldProbabilities(tf, {
      config: MISTAKES_HEAD,
      seed: options.seed ?? 42,
      folds: MISTAKES_FOLDS,
      classCount: classes.length,
      x,
      dim: table.dim,
      labels,
      signal: options.signal,
      onFold: (done, total) => options.progress?.('folds', done, total),
    });
    let correct = 0;
    for (let i = 0; i < labels.length; i++) {
      let best = 0;
      for (let c = 1; c < classes.length; c++) if (probs[i * classes.length + c] > probs[i * classes.length + best]) best = c;
      if (best === labels[i]) correct++;
    }
    outOfFoldAccuracy = Math.round((correct / labels.length) * 1e4) / 1e4;
    suspects = confidentLearningSuspects(probs, labels, classes.length)
      .slice(0, options.limit)
      .map((s) => ({
        imageId: kept[s.index].imageId,
        path: kept[s.index].path,
        label: classes[labels[s.index]],
        predicted: classes[s.predicted],
        confidence: round4(s.confidence),
        labelProbability: round4(s.labelProbability),
      }));
    const normalised = normalisePerBackbone(x, table.dims);
    const pairs = await crossClassNearDuplicates(tf, normalised, table.dim, labels, NEAR_DUPLICATE_SIMILARITY, options.limit);
    nearDuplicates = nearDuplicates.concat(
      pairs.map((p) => ({
        a: kept[p.a].path,
        b: kept[p.b].path,
        aImageId: kept[p.a].imageId,
        bImageId: kept[p.b].imageId,
        aLabel: classes[labels[p.a]],
        bLabel: classes[labels[p.b]],
        similarity: round4(p.similarity),
      })),
    );
  }
  return {
    suspects,
    nearDuplicates: nearDuplicates.slice(0, options.limit),
    outOfFoldAccuracy,
    conflicts,
    seconds: Math.round((Date.now() - started) / 10) / 100,
  };
}

/** Each backbone's slice scaled to unit length, so cosine similarity averages the backbones. */
function normalisePerBackbone(x: Float32Array, dims: number[]): Float32Array {
  const dim = dims.reduce((a, b) => a + b, 0);
  const out = new Float32Array(x.length);
  const rows = x.length / dim;
  for (let r = 0; r < rows; r++) {
    let o = r * dim;
    for (const d of dims) {
      let sq = 0;
      for (let j = 0; j < d; j++) sq += x[o + j] * x[o + j];
      const s = sq > 0 ? 1 / Math.sqrt(sq * dims.length) : 0;
      for (let j = 0; j < d; j++) out[o + j] = x[o + j] * s;
      o += d;
    }
  }
  return out;
}

/** Images whose bytes arrived under folders of different classes, with those folders' labels. */
function conflictedImages(db: Db): MistakesResult['conflicts'] {
  const rows = db
    .prepare(
      `SELECT i.id AS imageId, json_group_array(f.path) AS paths, json_group_array(COALESCE(f.folder_class, '')) AS labels
         FROM images i JOIN files f ON f.image_id = i.id
        WHERE i.conflict = 1
        GROUP BY i.id ORDER BY i.id`,
    )
    .all() as Array<{ imageId: number; paths: string; labels: string }>;
  return rows.map((r) => {
    const paths = JSON.parse(r.paths) as string[];
    const labels = JSON.parse(r.labels) as string[];
    return { imageId: r.imageId, paths, labels };
  });
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
