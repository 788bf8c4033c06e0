/**
 * The insights of one open project, computed on demand and kept until something
 * they depend on changes: predictions and the projection depend on the current run
 * and the cached codes; the mistakes analysis on the run (labels changed since are
 * applied when the lists are read, so accepting a suggestion does not recompute it).
 */
import type { InsightLists, PredictionsSnapshot, ProjectionResult, SuggestedFix } from '../../../shared/api/insights';
import type { MistakesResult } from '../../../shared/api/training';
import type { CatalogueArea } from '../../../shared/events';
import type { Db } from '../catalogue/open';
import { GraftError } from '../errors';
import type { JobManager } from '../jobs/job-manager';
import type { WorkerPool } from '../workers/worker-pool';
import { findMistakes } from '../training/find-mistakes';
import { currentRunId } from '../catalogue/runs';
import { computePredictions } from './predictions';
import { liveClassIds, liveClassNames } from '../catalogue/classes';
import { liveLabels } from '../catalogue/labels';
import { prelabelledIds, unlabelledIds } from '../catalogue/prelabel';
import { computeProjection } from './projection';

/** What the cache needs of the open project: its catalogue, where weights are, and its changes. */
export interface InsightsSource {
  readonly db: Db;
  readonly options: { modelsDir?: string };
  readonly jobs: JobManager;
  readonly projectPath: string | null;
  readonly compute: WorkerPool;
  on(event: 'catalogue.changed', handler: (payload: { areas: CatalogueArea[] }) => void): () => void;
}

interface Keyed<T> {
  key: string;
  value: Promise<T>;
}

export class InsightsCache {
  #predictions: Keyed<PredictionsSnapshot> | null = null;
  #projection: Keyed<ProjectionResult> | null = null;
  #mistakes: Keyed<MistakesResult> | null = null;
  /** The finished analysis, by cache key (readable without waiting for one in flight). */
  #mistakesDone: { key: string; value: MistakesResult } | null = null;
  #stop: () => void;

  constructor(private readonly source: InsightsSource) {
    // A new current run is a new cache key, so run changes need no invalidation (a run
    // being trained must not throw away the current model's insights). New codes can
    // bring images into the predictions and the map.
    this.#stop = source.on('catalogue.changed', ({ areas }) => {
      if (areas.includes('project')) this.invalidate();
      else if (areas.includes('codes')) {
        this.#predictions = null;
        this.#projection = null;
      }
    });
  }

  invalidate(): void {
    this.#predictions = null;
    this.#projection = null;
    this.#mistakes = null;
    this.#mistakesDone = null;
  }

  dispose(): void {
    this.#stop();
    this.invalidate();
  }

  /** The cache key: which run is current (its id changes with every new model). */
  #key(): string {
    return currentRunId(this.source.db) ?? '';
  }

  predictions(): Promise<PredictionsSnapshot> {
    this.#predictions = this.#fresh(this.#predictions, () => computePredictions(this.source.db, this.source.projectPath!, this.source.compute));
    return this.#predictions.value;
  }

  projection(): Promise<ProjectionResult> {
    this.#projection = this.#fresh(this.#projection, () => computeProjection(this.source.db, this.source.projectPath!, this.source.compute));
    return this.#projection.value;
  }

  async lists(options: { lowConfidence: number; limit: number; analyse?: boolean }): Promise<InsightLists> {
    const db = this.source.db;
    const predictions = await this.predictions();
    const unlabelled = new Set(unlabelledIds(db));
    const labelOf = liveLabels(db);
    const base = { runId: predictions.runId, prelabelled: prelabelledIds(db).slice(0, options.limit) };
    if (!predictions.runId) {
      return { ...base, misclassified: [], suspects: [], nearDuplicates: [], lowConfidence: [], unlabelled: [], outOfFoldAccuracy: null, analysed: false };
    }
    const classIds = liveClassIds(db, predictions.classes);
    const misclassified: Array<{ id: number; confidence: number }> = [];
    const low: Array<{ id: number; confidence: number }> = [];
    const unlabelledPredicted: number[] = [];
    predictions.imageIds.forEach((id, i) => {
      const confidence = predictions.confidence[i];
      const label = labelOf.get(id);
      if (unlabelled.has(id)) unlabelledPredicted.push(id);
      else if (label !== undefined && classIds[predictions.predicted[i]] !== label) misclassified.push({ id, confidence });
      if (confidence < options.lowConfidence) low.push({ id, confidence });
    });
    misclassified.sort((a, b) => b.confidence - a.confidence);
    low.sort((a, b) => a.confidence - b.confidence);

    const wanted = Math.max(options.limit, 500);
    const key = `${this.#key()}:${wanted}`;
    const done = this.#mistakesDone?.key === key ? this.#mistakesDone.value : null;
    const mistakes = done ?? (options.analyse ? await this.#mistakesFor(wanted) : null);
    const cheap = {
      ...base,
      misclassified: misclassified.slice(0, options.limit).map((m) => m.id),
      lowConfidence: low.slice(0, options.limit).map((l) => l.id),
      unlabelled: unlabelledPredicted,
    };
    if (!mistakes) return { ...cheap, suspects: [], nearDuplicates: [], outOfFoldAccuracy: null, analysed: false };
    const nameToId = new Map(predictions.classes.map((c, i) => [c, classIds[i]]));
    const liveNames = liveClassNames(db);
    const suspects: SuggestedFix[] = [];
    for (const s of mistakes.suspects) {
      const suggestedClassId = nameToId.get(s.predicted) ?? liveIdByName(liveNames, s.predicted);
      const current = labelOf.get(s.imageId);
      // Only while the image still has the label the analysis doubted.
      if (suggestedClassId == null || current === undefined || liveNames.get(current) !== s.label) continue;
      suspects.push({ imageId: s.imageId, label: s.label, suggested: s.predicted, suggestedClassId, confidence: s.confidence });
    }
    return {
      ...cheap,
      suspects: suspects.slice(0, options.limit),
      nearDuplicates: mistakes.nearDuplicates
        .filter((p) => p.aImageId !== p.bImageId)
        .map((p) => ({ a: p.aImageId, b: p.bImageId, similarity: p.similarity })),
      outOfFoldAccuracy: mistakes.outOfFoldAccuracy,
      analysed: true,
    };
  }

  /**
   * Computed once per run with a generous limit (later calls slice it); concurrent askers
   * share it. It runs as a 'mistakes' job, so the studio shows its progress and can cancel it.
   */
  #mistakesFor(wanted: number): Promise<MistakesResult> {
    const key = `${this.#key()}:${wanted}`;
    const cached = this.#mistakes;
    if (cached && cached.key === key) return cached.value;
    const started = this.source.jobs.startWhenFree('mistakes', (ctx) =>
      findMistakes(this.source.db, {
        limit: wanted,
        modelsDir: this.source.options.modelsDir,
        signal: ctx.signal,
        progress: ctx.progress,
        projectPath: this.source.projectPath!,
        pool: this.source.compute,
      }),
    );
    const value = started.then((job) => job.done).then((f) => {
      if (f.status === 'finished') return f.result;
      if (f.status === 'cancelled') throw new GraftError('cancelled', 'The likely-mistakes analysis was cancelled.');
      throw new GraftError(f.error.code, f.error.message);
    });
    this.#mistakes = { key, value };
    value.then(
      (result) => {
        if (this.#mistakes?.value === value) this.#mistakesDone = { key, value: result };
      },
      () => {
        if (this.#mistakes?.value === value) this.#mistakes = null;
      },
    );
    return value;
  }

  #fresh<T>(cached: Keyed<T> | null, compute: () => Promise<T>): Keyed<T> {
    const key = this.#key();
    if (cached && cached.key === key) return cached;
    const entry: Keyed<T> = { key, value: compute() };
    // A failure is not cached: the next call tries again.
    entry.value.catch(() => {
      if (this.#predictions === (entry as unknown)) this.#predictions = null;
      if (this.#projection === (entry as unknown)) this.#projection = null;
    });
    return entry;
  }
}

function liveIdByName(names: Map<number, string>, name: string): number | null {
  for (const [id, n] of names) if (n === name) return id;
  return null;
}
