/**
 * Likely label mistakes in a project: out-of-fold scoring of every labelled image on its
 * cached codes, confident-learning suspects and near-duplicates across classes (computed
 * in a worker thread: mistakes-analysis.ts), and the images whose identical bytes carry
 * conflicting folder labels.
 */
import type { MistakesResult, NearDuplicate } from '../../../shared/api/training';
import { DEFAULTS } from '../../../shared/defaults';
import type { JobStage } from '../../../shared/jobs';
import type { Db } from '../catalogue/open';
import { ensureCodes } from '../codes/extract';
import { currentRunId, getRun } from '../catalogue/runs';
import { conflictedImages } from '../catalogue/images';
import { labelledImages } from '../catalogue/splits';
import { GraftError } from '../errors';
import type { WorkerPool } from '../workers/worker-pool';

export interface FindMistakesOptions {
  limit: number;
  /** Default: the current model's backbones, else the training default. */
  backbones?: string[];
  modelsDir?: string;
  seed?: number;
  signal?: AbortSignal;
  /** The project file (the analysis reads its codes in a worker of `pool`). */
  projectPath: string;
  pool: WorkerPool;
  progress?: (stage: JobStage<'mistakes'>, done: number, total: number) => void;
}

export async function findMistakes(db: Db, options: FindMistakesOptions): Promise<MistakesResult> {
  const started = Date.now();
  const current = currentRunId(db);
  const backbones = options.backbones ?? (current ? getRun(db, current).backbones : [...DEFAULTS.training.backbones.value]);
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
  const conflictPairs: NearDuplicate[] = conflicts.flatMap((c) =>
    c.paths.length > 1 ? [{ a: c.paths[0], b: c.paths[1], aImageId: c.imageId, bImageId: c.imageId, aLabel: c.labels[0] ?? '', bLabel: c.labels[1] ?? c.labels[0] ?? '', similarity: 1 }] : [],
  );
  const analysis = await options.pool.run(
    'find-mistakes',
    { projectPath: options.projectPath, backbones, images, limit: options.limit, seed: options.seed ?? DEFAULTS.training.seed.value },
    { signal: options.signal, onProgress: (p) => options.progress?.(p.stage as JobStage<'mistakes'>, p.done, p.total) },
  );
  const { suspects, outOfFoldAccuracy } = analysis;
  const nearDuplicates = conflictPairs.concat(analysis.nearDuplicates);
  return {
    suspects,
    nearDuplicates: nearDuplicates.slice(0, options.limit),
    outOfFoldAccuracy,
    conflicts,
    seconds: Math.round((Date.now() - started) / 10) / 100,
  };
}
