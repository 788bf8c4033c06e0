/**
 * The likely-mistakes analysis's arithmetic, in a worker thread: out-of-fold heads on every
 * labelled image's cached codes (model/mistakes.ts), confident-learning suspects, and
 * near-duplicates across classes. find-mistakes.ts (main thread) computes missing codes
 * first and adds the images whose bytes carry conflicting folder labels.
 */
import type { NearDuplicate, Suspect } from '../../../shared/api/training';
import { codeReaderOf } from '../catalogue/codes';
import { withReadOnlyProject } from '../catalogue/open';
import { buildFeatureTable } from '../model/features';
import { confidentLearningSuspects, crossClassNearDuplicates, outOfFoldProbabilities } from '../model/mistakes';
import { getTf } from '../tf/runtime';
import type { MistakesInput, MistakesOutput, TaskContext } from '../workers/task-types';
import { DEFAULTS } from '../../../shared/defaults';
import { MISTAKES_HEAD, NEAR_DUPLICATE_SIMILARITY } from './defaults';

export async function analyseMistakes(input: MistakesInput, ctx: TaskContext<'find-mistakes'>): Promise<MistakesOutput> {
  const { backbones, images } = input;
  const ids = images.map((i) => i.imageId);
  const table = withReadOnlyProject(input.projectPath, (db) => buildFeatureTable(codeReaderOf(db), backbones, ['center'], ids));
  const byId = new Map(images.map((i) => [i.imageId, i]));
  const kept = table.imageIds.map((id) => byId.get(id)!);
  const classes = [...new Set(kept.map((i) => i.className))];
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const labels = Int32Array.from(kept, (i) => classIndex.get(i.className)!);
  if (classes.length < 2 || kept.length < 4) return { suspects: [], nearDuplicates: [], outOfFoldAccuracy: 0 };

  const { tf } = await getTf();
  const x = table.rows.center!;
  const probs = await outOfFoldProbabilities(tf, {
    config: MISTAKES_HEAD,
    seed: input.seed,
    folds: DEFAULTS.mistakes.folds.value,
    classCount: classes.length,
    x,
    dim: table.dim,
    labels,
    signal: ctx.signal,
    onFold: (done, total) => ctx.progress('folds', done, total),
  });
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes.length; c++) if (probs[i * classes.length + c] > probs[i * classes.length + best]) best = c;
    if (best === labels[i]) correct++;
  }
  const suspects: Suspect[] = confidentLearningSuspects(probs, labels, classes.length)
    .slice(0, input.limit)
    .map((s) => ({
      imageId: kept[s.index].imageId,
      path: kept[s.index].path,
      label: classes[labels[s.index]],
      predicted: classes[s.predicted],
      confidence: round4(s.confidence),
      labelProbability: round4(s.labelProbability),
    }));
  ctx.progress('duplicates', 0, 1);
  const pairs = crossClassNearDuplicates(tf, normalisePerBackbone(x, table.dims), table.dim, labels, NEAR_DUPLICATE_SIMILARITY, input.limit);
  ctx.progress('duplicates', 1, 1);
  const nearDuplicates: NearDuplicate[] = pairs.map((p) => ({
    a: kept[p.a].path,
    b: kept[p.b].path,
    aImageId: kept[p.a].imageId,
    bImageId: kept[p.b].imageId,
    aLabel: classes[labels[p.a]],
    bLabel: classes[labels[p.b]],
    similarity: round4(p.similarity),
  }));
  return { suspects, nearDuplicates, outOfFoldAccuracy: Math.round((correct / labels.length) * 1e4) / 1e4 };
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

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
