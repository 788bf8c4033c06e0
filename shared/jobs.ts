/**
 * Long work, typed once: every kind of job, the stages its progress goes through and the
 * result it finishes with. The engine's job manager, the `job.progress` / `job.finished`
 * events, the CLI's waiter and the renderer's trackers all read these types, so a job's
 * result never needs a cast.
 */
import type { ApiErrorPayload } from './contract';
import type { CodesSummary } from './api/codes';
import type { ExportResult } from './api/export';
import type { MistakesResult, PredictResult, TrainResult } from './api/training';
import type { ImportSummary } from './types';

export interface JobTypes {
  import: { stage: 'scan' | 'import'; result: ImportSummary };
  codes: { stage: 'download' | 'load' | 'codes'; result: CodesSummary };
  train: { stage: 'codes' | 'head' | 'fine-tune' | 'score'; result: TrainResult };
  export: { stage: 'model' | 'copy' | 'codes' | 'write' | 'mistakes' | 'report' | 'finish'; result: ExportResult };
  /** Likely label mistakes: out-of-fold heads on the cached codes. */
  mistakes: { stage: 'codes' | 'folds' | 'duplicates'; result: MistakesResult };
  /** Files or folders through a model (the project's, or an exported one). */
  predict: { stage: 'load' | 'predict'; result: PredictResult };
}

export type JobKind = keyof JobTypes;
export type JobStage<K extends JobKind = JobKind> = JobTypes[K]['stage'];
export type JobResult<K extends JobKind> = JobTypes[K]['result'];

export const JOB_KINDS = ['import', 'codes', 'train', 'export', 'mistakes', 'predict'] as const satisfies readonly JobKind[];

/**
 * Kinds that never run side by side in one project (the relation is symmetric; each kind
 * also excludes itself). Importing changes the images an export copies and the codes a
 * training run reads; one of each kind at a time bounds memory and keeps results honest.
 */
export const JOB_CONFLICTS: { readonly [K in JobKind]: readonly JobKind[] } = {
  import: ['import', 'export', 'train', 'mistakes'],
  codes: ['codes', 'train'],
  train: ['train', 'codes', 'import'],
  export: ['export', 'import'],
  mistakes: ['mistakes', 'import'],
  predict: ['predict'],
};

/** Progress of a long job, as shown in a progress bar. */
export type JobProgress = { [K in JobKind]: JobProgressOf<K> }[JobKind];

export interface JobProgressOf<K extends JobKind> {
  jobId: string;
  kind: K;
  stage: JobStage<K>;
  /** Items done in this stage, of `total` (0 of 0 while the total is unknown). */
  done: number;
  total: number;
  /** Items per second, smoothed over the recent past. */
  rate: number;
  /** Seconds left in this stage, or null while unknown. */
  etaSeconds: number | null;
  /**
   * The whole job as a fraction 0–1 and the seconds left in all of it, when the job knows
   * its plan (training: each network's codes, then the head); null while unknown.
   */
  overall: { fraction: number; etaSeconds: number | null } | null;
  message?: string;
}

/** How a job ended; `result` is the job kind's own type. */
export type JobFinished = { [K in JobKind]: JobFinishedOf<K> }[JobKind];

export type JobFinishedOf<K extends JobKind> =
  | { jobId: string; kind: K; status: 'finished'; result: JobResult<K> }
  /** Cancelled: jobs that keep what they finished (import, codes) still return it. */
  | { jobId: string; kind: K; status: 'cancelled'; result?: JobResult<K> }
  | { jobId: string; kind: K; status: 'failed'; error: ApiErrorPayload };

/** A job that is running now (`jobs.list`). */
export interface RunningJob {
  jobId: string;
  kind: JobKind;
  startedAt: number;
  /** Its latest progress, once it reported any. */
  progress: JobProgress | null;
}
