/**
 * Events the engine pushes to the renderer, whatever the transport.
 * Name → payload; the preload bridge and the web transport derive their types from this.
 */
import type { JobFinished, JobProgress } from './jobs';
import type { StoredEpoch } from './api/training';

export type { JobFinished };

/** The parts of a project a `catalogue.changed` event can name. */
export const CATALOGUE_AREAS = ['images', 'classes', 'labels', 'codes', 'runs', 'project'] as const;
export type CatalogueArea = (typeof CATALOGUE_AREAS)[number];

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
  stage: StoredEpoch['stage'];
  epoch: number;
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export type EventName = keyof ApiEvents;
