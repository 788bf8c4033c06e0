/**
 * Gathers what the model report shows from the catalogue and the run, and writes
 * `report.html`. Likely label mistakes come from out-of-fold predictions on the run's
 * codes (`findMistakes`), the same list the app's review view shows.
 */
import { splitCounts } from '../catalogue/splits';
import fs from 'node:fs';
import path from 'node:path';
import type { RunDetail } from '../../../shared/api/training';
import { listClasses, unlabelledCount } from '../catalogue/classes';
import { readThumbnail } from '../catalogue/images';
import { GraftError } from '../errors';
import { findMistakes } from '../training/find-mistakes';
import { appVersion } from './app-version';
import { snippetsFor } from './snippets';
import type { DeployableResult } from './deployable-export';
import type { ExportStep } from './export-types';
import { summariseConfusion } from './report/metrics';
import { renderReport, type ReportData, type ReportMistake } from './report/report-html';

/** Enough to review at a glance; the app lists them all. */
const REPORT_MISTAKES = 24;

export interface ReportOptions {
  projectName: string;
  modelFormat?: string | null;
  /** The ONNX / TFLite files written with this report, for their snippets and checks. */
  deployable?: DeployableResult | null;
  /** Skip the out-of-fold mistakes search (it trains a few small heads). */
  mistakes?: boolean;
}

export async function collectReportData(step: ExportStep, run: RunDetail | null, options: ReportOptions): Promise<ReportData> {
  const classes = listClasses(step.db).map((c) => ({ name: c.name, color: c.color, count: c.count }));
  const splits = run?.metrics?.counts ?? splitCounts(step.db);
  const evaluation = (e: NonNullable<RunDetail['metrics']>['test']) => (e && run ? summariseConfusion(run.classes, e.confusion) : null);
  let mistakes: ReportMistake[] = [];
  if (run && options.mistakes !== false) mistakes = await likelyMistakes(step, run);
  const { dataset: _dataset, ...settings } = run?.config ?? ({} as Partial<RunDetail['config']>);
  return {
    projectName: options.projectName,
    generatedAt: new Date().toISOString(),
    appVersion: appVersion(),
    run: run
      ? {
          id: run.id,
          createdAt: new Date(run.createdAt).toISOString(),
          seconds: run.seconds,
          backbones: run.backbones,
          seed: run.seed,
          settings: { ...settings, classes: run.classes, bestEpoch: run.metrics?.bestEpoch ?? null, fineTuneResult: run.metrics?.fineTune ?? null } as Record<string, unknown>,
        }
      : null,
    classes,
    unlabelled: unlabelledCount(step.db),
    splits: { train: splits.train ?? 0, validation: splits.validation ?? 0, test: splits.test ?? 0 },
    validation: evaluation(run?.metrics?.validation ?? null),
    test: evaluation(run?.metrics?.test ?? null),
    history: (run?.history ?? []).map((h) => ({ epoch: h.epoch, stage: h.stage, loss: h.loss, accuracy: h.accuracy, valLoss: h.valLoss, valAccuracy: h.valAccuracy })),
    bestEpoch: run?.metrics?.bestEpoch ?? null,
    mistakes,
    exportFormat: options.modelFormat ?? null,
    deployable: options.deployable ?? null,
    snippets: snippetsFor(step.dir, options.deployable ?? null),
  };
}

export async function exportReport(step: ExportStep, run: RunDetail | null, options: ReportOptions): Promise<void> {
  step.progress('report', 0, 1);
  const data = await collectReportData(step, run, options);
  const html = renderReport(data);
  fs.writeFileSync(path.join(step.dir, 'report.html'), html);
  step.written({ file: 'report.html', bytes: Buffer.byteLength(html) });
  step.progress('report', 1, 1);
}

async function likelyMistakes(step: ExportStep, run: RunDetail): Promise<ReportMistake[]> {
  let result;
  try {
    result = await findMistakes(step.db, {
      limit: REPORT_MISTAKES,
      backbones: run.backbones,
      modelsDir: step.modelsDir,
      seed: run.seed,
      signal: step.signal,
      progress: (stage, done, total) => step.progress('mistakes', done, total, stage),
      projectPath: step.projectPath,
      pool: step.workers,
    });
  } catch (err) {
    if (step.signal?.aborted || (err instanceof GraftError && err.code === 'cancelled')) throw err;
    // The report is still worth having without this section; say why it is empty.
    step.skipped({ path: 'report.html', reason: `likely label mistakes left out: ${(err as Error).message.split('\n')[0]}` });
    return [];
  }
  return result.suspects.map((s) => {
    let thumbnail: string | null = null;
    try {
      thumbnail = `data:image/jpeg;base64,${readThumbnail(step.db, s.imageId).toString('base64')}`;
    } catch {
      /* image removed meanwhile: shown without a preview */
    }
    return { name: path.basename(s.path), path: s.path, label: s.label, predicted: s.predicted, confidence: s.confidence, thumbnail };
  });
}
