/**
 * A 2-D map of the cached codes: the first two principal components of the images'
 * codes (each backbone's slice scaled to unit length first, so every backbone counts
 * the same and the map shows the directions cosine similarity sees).
 *
 * The PCA (model/pca.ts) runs in a worker thread, which reads the codes itself.
 */
import { allImageIds } from '../catalogue/images';
import type { ProjectionResult } from '../../../shared/api/insights';
import type { Db } from '../catalogue/open';
import { codeCounts, codeReaderOf } from '../catalogue/codes';
import { withReadOnlyProject } from '../catalogue/open';
import { currentRunId, getRun } from '../catalogue/runs';
import { buildFeatureTable } from '../model/features';
import { principalComponents } from '../model/pca';
import type { TaskContext, TaskInput, TaskOutput } from '../workers/task-types';
import type { WorkerPool } from '../workers/worker-pool';

/** The map of the project's images, computed in a worker of `pool`. */
export async function computeProjection(db: Db, projectPath: string, pool: WorkerPool, signal?: AbortSignal): Promise<ProjectionResult> {
  const started = Date.now();
  const runId = currentRunId(db);
  const backbones = runId ? getRun(db, runId).backbones : mostCachedBackbone(db);
  const empty: ProjectionResult = { runId, backbones, method: 'pca', imageIds: [], x: [], y: [], explained: [0, 0], seconds: 0 };
  if (!backbones.length) return empty;
  const map = await pool.run('project-codes', { projectPath, backbones }, { signal });
  return { ...map, runId, seconds: Math.round((Date.now() - started) / 10) / 100 };
}

/** The worker's side: every image's codes, scaled per backbone, onto the top two components. */
export function projectCodes(input: TaskInput<'project-codes'>, ctx: TaskContext<'project-codes'>): TaskOutput<'project-codes'> {
  const { backbones } = input;
  const table = withReadOnlyProject(input.projectPath, (db) => buildFeatureTable(codeReaderOf(db), backbones, ['center'], allImageIds(db)));
  const n = table.imageIds.length;
  if (n === 0) return { backbones, method: 'pca', imageIds: [], x: [], y: [], explained: [0, 0] };
  const x = unitPerBackbone(table.rows.center!, table.dims);
  const pca = principalComponents(x, n, table.dim, ctx.signal);
  const scale = Math.max(maxAbs(pca.a), maxAbs(pca.b)) || 1;
  return {
    backbones,
    method: 'pca',
    imageIds: table.imageIds,
    x: Array.from(pca.a, (v) => round4(v / scale)),
    y: Array.from(pca.b, (v) => round4(v / scale)),
    explained: [round4(pca.explained[0]), round4(pca.explained[1])],
  };
}

/** Without a trained model: the backbone with the most cached codes. */
function mostCachedBackbone(db: Db): string[] {
  const best = codeCounts(db)
    .filter((c) => c.view === 'center')
    .sort((a, b) => b.count - a.count)[0];
  return best ? [best.backbone] : [];
}

function unitPerBackbone(x: Float32Array, dims: number[]): Float32Array {
  const dim = dims.reduce((a, b) => a + b, 0);
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let o = r * dim;
    for (const d of dims) {
      let sq = 0;
      for (let j = 0; j < d; j++) sq += x[o + j] ** 2;
      const s = sq > 0 ? 1 / Math.sqrt(sq * dims.length) : 0;
      for (let j = 0; j < d; j++) out[o + j] = x[o + j] * s;
      o += d;
    }
  }
  return out;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
