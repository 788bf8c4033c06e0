/**
 * The export-time check of an ONNX or TFLite file by its own runtime (run in a worker,
 * `deployable-run.ts`) on photos of the project.
 *
 * Verified (`--verify`): the file's probabilities are compared with those of Graft's own
 * predictor (`graft predict`) on the same photos, with the tolerance its weights allow —
 * float32: the same top-1 on every photo and probabilities within 1e-4; float16: within
 * 1e-2; int8 (weights rounded to 1/127 of each channel's range): the same top-1 on at
 * least 98% of them. Otherwise: it loads, runs, and gives every photo a distribution over
 * the labels.
 */
import fs from 'node:fs';
import type { DeployableFile } from '../../../shared/api/export';
import type { RunDetail } from '../../../shared/api/training';
import { listImages } from '../catalogue/images';
import { GraftError } from '../errors';
import type { StoredModel } from '../model/stored-model';
import { predictorFor } from '../training/predict';
import type { ExportStep } from './export-types';

/** How many of the project's photos a check runs: verified, and the load check. */
const VERIFY_PHOTOS = 32;
const LOAD_CHECK_PHOTOS = 8;

/** The tolerance of each kind of weights, against Graft's predictor. */
export const CHECK_TOLERANCE = {
  float32: { maxDiff: 1e-4, agreement: 1 },
  float16: { maxDiff: 1e-2, agreement: 0 },
  int8: { maxDiff: Infinity, agreement: 0.98 },
} as const;

/** The photos every file of one export is checked on, and (verified) what Graft predicts for them. */
export class CheckReference {
  private constructor(
    readonly photos: string[],
    readonly expected: Float32Array[] | null,
  ) {}

  static async take(step: ExportStep, run: RunDetail, stored: StoredModel, verify: boolean): Promise<CheckReference> {
    const photos = spreadPhotos(step, verify ? VERIFY_PHOTOS : LOAD_CHECK_PHOTOS);
    if (!verify || !photos.length) return new CheckReference(photos, null);
    const predictor = await predictorFor(stored, run.id, { modelsDir: step.modelsDir, pool: step.workers });
    try {
      return new CheckReference(photos, await predictor.probabilities(photos));
    } finally {
      predictor.dispose();
    }
  }
}

export interface CheckedFile {
  /** The written file (absolute). */
  file: string;
  format: 'onnx' | 'tflite';
  weights: DeployableFile['weights'];
  inputs: Array<{ name: string; size: number }>;
}

export async function checkDeployable(step: ExportStep, target: CheckedFile, reference: CheckReference): Promise<NonNullable<DeployableFile['check']>> {
  const runtimeName = target.format === 'onnx' ? 'onnxruntime-node' : 'LiteRT.js';
  if (!reference.photos.length) return { runtime: runtimeName, ok: false, detail: 'not checked: none of the project\'s photos is on disk' };
  let ran;
  try {
    ran = await step.workers.run('run-deployable', { file: target.file, format: target.format, photos: reference.photos, inputs: target.inputs }, { signal: step.signal });
  } catch (err) {
    if (step.signal?.aborted) throw new GraftError('cancelled', 'The export was cancelled; nothing was written.');
    return { runtime: runtimeName, ok: false, detail: `not checked: ${(err as Error).message}` };
  }
  if (step.signal?.aborted) throw new GraftError('cancelled', 'The export was cancelled; nothing was written.');
  const n = reference.photos.length;
  const k = ran.classes;
  const rows = Array.from({ length: n }, (_, i) => ran.probabilities.subarray(i * k, (i + 1) * k));
  if (!reference.expected) {
    const worst = Math.max(...rows.map((r) => Math.abs(r.reduce((a, v) => a + v, 0) - 1)));
    return { runtime: ran.runtime, ok: worst < 1e-4, detail: `ran ${n} of the project's photos; probabilities sum to 1 within ${worst.toExponential(1)}` };
  }
  const c = compareProbabilities(reference.expected, rows);
  const tolerance = CHECK_TOLERANCE[target.weights];
  const ok = c.rows === n && k === reference.expected[0].length && c.maxDiff <= tolerance.maxDiff && c.agree >= Math.floor(tolerance.agreement * n);
  const within = Number.isFinite(tolerance.maxDiff) ? ` (allowed ${tolerance.maxDiff})` : '';
  const needed = tolerance.agreement ? ` (needed ${Math.floor(tolerance.agreement * n)})` : '';
  return {
    runtime: ran.runtime,
    ok,
    detail: `${n} of the project's photos: the same top-1 as Graft's predictor on ${c.agree}/${n}${needed}, probabilities within ${c.maxDiff.toExponential(1)}${within}`,
  };
}

/** Top-1 agreement and the largest probability difference between two sets of rows. */
export function compareProbabilities(expected: ArrayLike<number>[], got: ArrayLike<number>[]): { rows: number; agree: number; maxDiff: number } {
  let agree = 0;
  let maxDiff = 0;
  const rows = Math.min(expected.length, got.length);
  for (let i = 0; i < rows; i++) {
    if (argmax(expected[i]) === argmax(got[i])) agree++;
    for (let j = 0; j < expected[i].length; j++) maxDiff = Math.max(maxDiff, Math.abs(expected[i][j] - got[i][j]));
  }
  return { rows, agree, maxDiff };
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** `count` of the project's photos on disk, spread evenly over the catalogue (so over its classes). */
function spreadPhotos(step: ExportStep, count: number): string[] {
  const all = listImages(step.db, {}, { limit: 1_000_000 }).images.map((i) => i.path).filter((p): p is string => Boolean(p) && fs.existsSync(p!));
  const n = Math.min(count, all.length);
  return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]);
}
