/**
 * Insights: what the current model thinks of the images in the library, for the
 * model-aware filters, the large preview and the embedding map. Everything is
 * computed on cached codes (no image is decoded), so it is fast enough to ask for
 * interactively; the engine caches it per run and drops it when runs or codes change.
 */
import { z } from 'zod';
import { method, returns } from '../contract';
import { DEFAULTS } from '../defaults';
import type { LabelChangeResult } from '../types';

const probability = z.number().min(0).max(1);

/**
 * The current model's prediction for every image that has cached codes, as parallel
 * arrays (10,000 images are ~200 kB of JSON): `predicted[i]` indexes `classes`.
 */
export interface PredictionsSnapshot {
  /** The run that made them; null when the project has no trained model. */
  runId: string | null;
  /** The run's classes, in its output order. */
  classes: string[];
  /** Live class id of each of `classes` (null when that class was since deleted or renamed). */
  classIds: Array<number | null>;
  imageIds: number[];
  predicted: number[];
  /** Probability of the predicted class, 0–1. */
  confidence: number[];
  /**
   * The run fine-tuned its backbone, but cached codes come from the published weights:
   * these predictions approximate the model's (the preview's "Predict" pane is exact).
   */
  approximate: boolean;
  seconds: number;
}

/** A likely label mistake with the model's suggestion, ready to accept with one key. */
export interface SuggestedFix {
  imageId: number;
  label: string;
  suggested: string;
  /** Live class to relabel to. */
  suggestedClassId: number;
  /** Out-of-fold probability of the suggestion. */
  confidence: number;
}

export interface DuplicatePair {
  a: number;
  b: number;
  /** Cosine similarity of the two images' codes. */
  similarity: number;
}

export interface InsightLists {
  runId: string | null;
  /** Labelled images the current model assigns to another class, most confident first. */
  misclassified: number[];
  /** Likely label mistakes (out-of-fold, confident learning), most likely first. */
  suspects: SuggestedFix[];
  /** Images of near-identical codes under different labels. */
  nearDuplicates: DuplicatePair[];
  /** Images whose prediction is below the threshold asked for, least confident first. */
  lowConfidence: number[];
  /** Images labelled by `insights.prelabel` that still carry that label, for review. */
  prelabelled: number[];
  /** Unlabelled images the model has a prediction for (what pre-labelling can label). */
  unlabelled: number[];
  /** Out-of-fold accuracy of the mistakes analysis, or null before it ran. */
  outOfFoldAccuracy: number | null;
  /**
   * The mistakes analysis (k-fold training on the codes: seconds on a small project,
   * minutes on 10,000 images) has run for this model; until then `suspects` and
   * `nearDuplicates` are empty. Ask with `analyse: true` to run it.
   */
  analysed: boolean;
}

export interface ProjectionResult {
  runId: string | null;
  /** Backbones whose codes were projected. */
  backbones: string[];
  method: 'pca';
  imageIds: number[];
  /** 2-D coordinates, parallel to imageIds, scaled to [-1, 1] on the wider axis. */
  x: number[];
  y: number[];
  /** Share of the codes' variance each axis explains. */
  explained: [number, number];
  seconds: number;
}

export interface PrelabelResult extends LabelChangeResult {
  /** Unlabelled images left as they were (below the confidence asked for). */
  skipped: number;
}

export const insightsMethods = {
  'insights.predictions': method(z.object({}), returns<PredictionsSnapshot>()),
  'insights.lists': method(
    z.object({
      /** Images predicted with less than this are "low confidence". */
      lowConfidence: probability.default(DEFAULTS.insights.lowConfidence.value),
      limit: z.number().int().min(1).max(100_000).default(1000),
      /** Run the mistakes analysis for the current model if it has not run yet (and wait for it). */
      analyse: z.boolean().default(false),
    }),
    returns<InsightLists>(),
  ),
  /** Labels every unlabelled image the model predicts with at least `minConfidence`: one undoable step. */
  'insights.prelabel': method(z.object({ minConfidence: probability }), returns<PrelabelResult>()),
  /** Every image's live class (null: unlabelled), as parallel arrays, to colour the map. */
  'insights.labels': method(z.object({}), returns<{ imageIds: number[]; classIds: Array<number | null> }>()),
  /** 2-D map of the cached codes (PCA), for the embedding map. */
  'insights.projection': method(z.object({}), returns<ProjectionResult>()),
};
