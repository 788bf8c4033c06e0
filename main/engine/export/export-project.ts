/**
 * One export, start to finish: resolve the run, write every asked-for format into a
 * staging folder beside the target, then move it into place. Anything that fails or
 * is cancelled leaves the target as it was.
 */
import path from 'node:path';
import { EXPORT_FORMATS, type ExportResult } from '../../../shared/api/export';
import { DEFAULTS } from '../../../shared/defaults';
import type { JobStage } from '../../../shared/jobs';
import type { RunDetail } from '../../../shared/api/training';
import { listClasses } from '../catalogue/classes';
import type { Db } from '../catalogue/open';
import { codeCounts } from '../catalogue/codes';
import { GraftError } from '../errors';
import { currentRunId, getRun, runWeights } from '../catalogue/runs';
import { decodeModel } from '../model/stored-model';
import { exportCodes } from './codes-export';
import { exportDataset } from './dataset-export';
import { exportDeployable, type DeployableResult, type Quantization } from './deployable-export';
import type { ExportFormat, ExportStep, SkippedItem, SplitChoice, WrittenFile } from './export-types';
import { exportModel } from './model-export';
import { exportReport } from './report-export';
import { snippetsFor } from './snippets';
import { openStagingFolder } from './staging-folder';
import type { WorkerPool } from '../workers/worker-pool';

export interface ExportOptions {
  dir: string;
  /** Default: the project's current model. */
  runId?: string;
  formats?: ExportFormat[];
  /** Dataset and codes exports: which images (default all labelled ones). */
  split?: SplitChoice;
  /** Replace a non-empty target folder. */
  force?: boolean;
  /** Codes export without a run: these backbones (default: those with cached codes). */
  backbones?: string[];
  /** TFLite: extra files with float16 and/or int8 weights. */
  quantize?: Quantization[];
  /** ONNX and TFLite: check every file against Graft's predictor (deployable-check.ts). */
  verify?: boolean;
  /** Leave the out-of-fold label-mistake search out of the report. */
  skipMistakes?: boolean;
  projectPath: string;
  /** The engine's computing workers (the model is built, the mistakes found, there). */
  workers: WorkerPool;
  modelsDir?: string;
  signal?: AbortSignal;
  progress?: (stage: JobStage<'export'>, done: number, total: number, message?: string) => void;
}


export async function exportProject(db: Db, options: ExportOptions): Promise<ExportResult> {
  const formats = normaliseFormats(options.formats);
  const split = options.split ?? DEFAULTS.export.split.value;
  const needsModel = formats.includes('tfjs') || formats.includes('onnx') || formats.includes('tflite');
  const needsRun = needsModel || formats.includes('report');
  const runId = options.runId ?? (needsRun || formats.includes('codes') ? currentRunId(db) : null);
  if (needsModel && !runId) {
    throw new GraftError('no_trained_model', 'This project has no trained model to export yet. Train one first (graft train --project FILE), or export --format dataset.');
  }
  if (options.quantize?.length && !formats.includes('tflite')) {
    throw new GraftError('invalid_params', 'Quantized weights are for TensorFlow Lite files: add tflite to the formats (--format tflite).');
  }
  const run: RunDetail | null = runId ? getRun(db, runId) : null;
  if (run && run.status !== 'finished') {
    throw new GraftError('no_trained_model', `Run ${run.id} did not finish (${run.status}), so it has no model to export. Choose a finished run (graft runs).`);
  }

  const staging = openStagingFolder(options.dir, { force: options.force });
  const written: WrittenFile[] = [];
  const skipped: SkippedItem[] = [];
  const step: ExportStep = {
    db,
    projectPath: options.projectPath,
    workers: options.workers,
    dir: staging.dir,
    modelsDir: options.modelsDir,
    signal: options.signal,
    progress: (stage, done, total, message) => options.progress?.(stage, done, total, message),
    written: (f) => written.push(f),
    skipped: (s) => skipped.push(s),
  };
  let modelFormat: string | null = null;
  let deployable: DeployableResult | null = null;
  try {
    const stored = needsModel ? decodeModel(runWeights(db, run!.id)) : null;
    if (formats.includes('tfjs')) {
      modelFormat = (await exportModel(step, run!, stored!, modelNameOf(options.projectPath, run!))).format;
    }
    const deployFormats = formats.filter((f): f is 'onnx' | 'tflite' => f === 'onnx' || f === 'tflite');
    if (deployFormats.length) deployable = await exportDeployable(step, run!, stored!, deployFormats, options.quantize ?? [], options.verify);
    if (formats.includes('dataset')) await exportDataset(step, split);
    if (formats.includes('codes')) {
      const backbones = options.backbones ?? run?.backbones ?? cachedBackbones(db);
      const classes = run && labelsWithin(db, run.classes) ? run.classes : listClasses(db).map((c) => c.name);
      await exportCodes(step, { backbones, classes, split });
    }
    // The report last: it can name the model format, and its mistakes search is the slowest part.
    if (formats.includes('report')) {
      await exportReport(step, run, { projectName: projectNameOf(options.projectPath), modelFormat, deployable, mistakes: !options.skipMistakes });
    }
    if (options.signal?.aborted) throw new GraftError('cancelled', 'The export was cancelled; nothing was written.');
    step.progress('finish', 0, 1);
    staging.commit();
    step.progress('finish', 1, 1);
  } catch (err) {
    staging.discard();
    throw err;
  }
  return {
    dir: staging.target,
    formats,
    files: written.map((f) => f.file),
    bytes: written.reduce((a, f) => a + f.bytes, 0),
    runId: run?.id ?? null,
    modelFormat,
    deployable,
    snippets: snippetsFor(staging.target, deployable),
    skipped,
  };
}

export function normaliseFormats(formats: readonly string[] | undefined): ExportFormat[] {
  const list = formats?.length ? formats : DEFAULTS.export.formats.value;
  const out: ExportFormat[] = [];
  for (const f of list) {
    const format = f.trim().toLowerCase();
    if (!EXPORT_FORMATS.includes(format as ExportFormat)) {
      throw new GraftError('invalid_params', `Unknown export format "${f}". Use ${EXPORT_FORMATS.join(', ')} (several separated by commas).`);
    }
    if (!out.includes(format as ExportFormat)) out.push(format as ExportFormat);
  }
  return out;
}

/** Backbones with cached codes, most complete first. */
function cachedBackbones(db: Db): string[] {
  const counts = codeCounts(db).filter((c) => c.view === 'center' && c.count > 0);
  if (!counts.length) {
    throw new GraftError('not_found', 'There are no cached codes to export. Train a model first (it computes them), or name a backbone.');
  }
  const best = counts.sort((a, b) => b.count - a.count)[0];
  return [best.backbone];
}

/** True when every class that currently has trainable images is one the run knows. */
function labelsWithin(db: Db, classes: string[]): boolean {
  const known = new Set(classes);
  return listClasses(db).every((c) => c.count === 0 || known.has(c.name));
}

export function projectNameOf(projectPath: string): string {
  return path.basename(projectPath).replace(/\.[^.]+$/, '') || 'Graft project';
}

function modelNameOf(projectPath: string, run: RunDetail): string {
  return `${projectNameOf(projectPath)} (run ${run.id})`;
}
