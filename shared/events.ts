/**
 * Events the engine pushes to the renderer, whatever the transport.
 * Name → payload; the preload bridge and the web transport derive their types from this.
 */
import type { JobKind, JobProgress } from './types';
import type { ApiErrorPayload, JobStatus } from './contract';

export interface JobFinished {
  jobId: string;
  kind: JobKind;
  status: JobStatus;
  /** The job's result (its method's documented result type) when finished. */
  result?: unknown;
  error?: ApiErrorPayload;
}

export type CatalogueArea = 'images' | 'classes' | 'labels' | 'codes' | 'runs' | 'project';

export interface ApiEvents {
  'job.progress': JobProgress;
  'job.finished': JobFinished;
  /** Something in the open project changed; views re-query what they show. */
  'catalogue.changed': { areas: CatalogueArea[] };
  /** One finished training epoch, for live curves. */
  'training.epoch': TrainingEpochEvent;
}

export interface TrainingEpochEvent {
  jobId: string;
  runId: string;
  stage: 'head' | 'fine-tune';
  epoch: number;
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export type EventName = keyof ApiEvents;
