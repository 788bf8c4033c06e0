import type { InsightLists, PredictionsSnapshot, ProjectionResult, SuggestedFix } from 'shared/api/insights';
import { DEFAULTS } from 'shared/defaults';
import { plural } from '../lib/format';
import { backend, codeOf, messageOf } from './backend.svelte';
import { classes } from './classes.svelte';
import { HISTORY_TOASTS, undoAction } from './history.svelte';
import { library } from './library.svelte';
import { toasts } from './toasts.svelte';

/** The model-derived lists the library can show, in menu order. */
export type ModelList = 'misclassified' | 'suspects' | 'nearDuplicates' | 'lowConfidence' | 'prelabelled';

export const MODEL_LIST_TITLES: Record<ModelList, string> = {
  misclassified: 'Misclassified by the model',
  suspects: 'Likely label mistakes',
  nearDuplicates: 'Near-duplicates',
  lowConfidence: 'Low confidence',
  prelabelled: 'Pre-labelled by the model',
};

/** What each list's own order means: the grid shows a list in it until another sort is picked. */
export const MODEL_LIST_ORDER: Partial<Record<ModelList, string>> = {
  misclassified: 'Most confident first',
  suspects: 'Most likely mistake first',
  nearDuplicates: 'Pairs side by side',
  lowConfidence: 'Least confident first',
};

export interface ImagePrediction {
  label: string;
  classId: number | null;
  confidence: number;
}

const LOW_CONFIDENCE_KEY = 'graft.lowConfidence';

/**
 * What the current model says about the library: a prediction per image, the
 * model-aware lists (misclassified, likely mistakes with suggestions, near-duplicates,
 * low confidence, pre-labelled for review) and the 2-D map of the codes. Re-read when
 * the engine reports new runs, codes or labels.
 */
class Insights {
  #predictions = $state.raw<PredictionsSnapshot | null>(null);
  #lists = $state.raw<InsightLists | null>(null);
  #projection = $state.raw<ProjectionResult | null>(null);
  #labels = $state.raw<ReadonlyMap<number, number | null>>(new Map());
  #loadingLists = $state(false);
  #analysing = $state(false);
  #loadingProjection = $state(false);
  #error = $state<string | null>(null);
  #lowConfidence = $state(readLowConfidence());
  #byImage = new Map<number, number>();
  #suggestions = new Map<number, SuggestedFix>();
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /**
   * The lists need the mistakes analysis (k-fold training on the codes, seconds on a
   * big project): computed once something shows them, then kept current.
   */
  #listsWanted = false;

  get predictions(): PredictionsSnapshot | null {
    return this.#predictions;
  }
  get lists(): InsightLists | null {
    return this.#lists;
  }
  get projection(): ProjectionResult | null {
    return this.#projection;
  }
  /** Live class per image (null: unlabelled), to colour the map. */
  get labels(): ReadonlyMap<number, number | null> {
    return this.#labels;
  }
  get hasModel(): boolean {
    return Boolean(this.#predictions?.runId);
  }
  get loadingLists(): boolean {
    return this.#loadingLists;
  }
  /** The mistakes analysis (k-fold on the codes) is running. */
  get analysing(): boolean {
    return this.#analysing;
  }
  /** The mistakes analysis has run for the current model (suspects and near-duplicates are known). */
  get analysed(): boolean {
    return this.#lists?.analysed ?? false;
  }
  get loadingProjection(): boolean {
    return this.#loadingProjection;
  }
  get error(): string | null {
    return this.#error;
  }
  get lowConfidence(): number {
    return this.#lowConfidence;
  }

  /** The model's prediction for an image (reactive), when it has cached codes. */
  prediction(imageId: number): ImagePrediction | null {
    const snap = this.#predictions;
    if (!snap) return null;
    const i = this.#byImage.get(imageId);
    if (i === undefined) return null;
    const c = snap.predicted[i];
    return { label: snap.classes[c], classId: snap.classIds[c], confidence: snap.confidence[i] };
  }

  /** The model's suggested fix for a likely label mistake (reactive). */
  suggestion(imageId: number): SuggestedFix | null {
    void this.#lists;
    return this.#suggestions.get(imageId) ?? null;
  }

  /** Ids of a list, in its order (pairs of near-duplicates side by side). */
  ids(list: ModelList): number[] {
    const l = this.#lists;
    if (!l) return [];
    switch (list) {
      case 'suspects':
        return l.suspects.map((s) => s.imageId);
      case 'nearDuplicates': {
        const seen = new Set<number>();
        for (const p of l.nearDuplicates) seen.add(p.a).add(p.b);
        return [...seen];
      }
      default:
        return l[list];
    }
  }

  count(list: ModelList): number {
    return this.ids(list).length;
  }

  /** The model list the library shows now, if any. */
  get activeList(): ModelList | null {
    const c = library.collection;
    if (c.kind !== 'images') return null;
    return (Object.keys(MODEL_LIST_TITLES) as ModelList[]).find((k) => MODEL_LIST_TITLES[k] === c.title) ?? null;
  }

  /** Loads the lists on first need (the Model menu, the preview); later changes refresh them. */
  async wantLists(): Promise<void> {
    if (this.#listsWanted && this.#lists) return;
    this.#listsWanted = true;
    if (!this.#loadingLists) await this.refreshLists();
  }

  /** Runs the mistakes analysis for the current model (once per model; minutes on a big project). */
  async analyse(): Promise<void> {
    if (this.#analysing) return;
    this.#analysing = true;
    try {
      await this.refreshLists(true);
    } finally {
      this.#analysing = false;
    }
  }

  /** Shows a model list in the library grid. */
  async show(list: ModelList): Promise<void> {
    if (!this.#lists) await this.wantLists();
    if ((list === 'suspects' || list === 'nearDuplicates') && !this.analysed) await this.analyse();
    library.showImages(this.ids(list), MODEL_LIST_TITLES[list], MODEL_LIST_ORDER[list]);
  }

  /** Unlabelled images the model would label at `minConfidence` or more. */
  prelabelCount(minConfidence: number): number {
    const l = this.#lists;
    if (!l) return 0;
    let n = 0;
    for (const id of l.unlabelled) {
      const p = this.prediction(id);
      if (p && p.classId !== null && p.confidence >= minConfidence) n++;
    }
    return n;
  }

  setLowConfidence(value: number): void {
    this.#lowConfidence = Math.max(0.05, Math.min(0.99, value));
    try {
      localStorage.setItem(LOW_CONFIDENCE_KEY, String(this.#lowConfidence));
    } catch {
      // A preference only.
    }
    void this.refreshLists().then(() => {
      if (this.activeList === 'lowConfidence') library.showImages(this.ids('lowConfidence'), MODEL_LIST_TITLES.lowConfidence, MODEL_LIST_ORDER.lowConfidence);
    });
  }

  listen(): () => void {
    void this.refresh();
    const off = backend.on('catalogue.changed', ({ areas }) => {
      // Codes arrive in bursts while a job extracts them: catch up once it pauses.
      if (areas.some((a) => a === 'runs' || a === 'project')) this.#schedule(true, 150);
      else if (areas.includes('codes')) this.#schedule(true, 2000);
      else if (areas.some((a) => a === 'labels' || a === 'classes' || a === 'images')) this.#schedule(false, 150);
    });
    return () => {
      off();
      if (this.#timer) clearTimeout(this.#timer);
    };
  }

  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    try {
      const snap = await backend.call('insights.predictions', {});
      if (generation !== this.#generation) return;
      this.#byImage = new Map(snap.imageIds.map((id, i) => [id, i]));
      this.#predictions = snap;
      this.#projection = null;
      this.#error = null;
    } catch (err) {
      if (generation === this.#generation) this.#error = messageOf(err);
      return;
    }
    await Promise.all([this.#listsWanted ? this.refreshLists() : undefined, this.refreshLabels()]);
  }

  async refreshLists(analyse = false): Promise<void> {
    this.#loadingLists = true;
    try {
      const lists = await backend.call('insights.lists', { lowConfidence: this.#lowConfidence, analyse });
      this.#suggestions = new Map(lists.suspects.map((s) => [s.imageId, s]));
      this.#lists = lists;
    } catch (err) {
      if (codeOf(err) !== 'no_trained_model') this.#error = messageOf(err);
    } finally {
      this.#loadingLists = false;
    }
  }

  async refreshLabels(): Promise<void> {
    try {
      const { imageIds, classIds } = await backend.call('insights.labels', {});
      this.#labels = new Map(imageIds.map((id, i) => [id, classIds[i]]));
    } catch (err) {
      this.#error = messageOf(err);
    }
  }

  /** Shows a relabelling on the map at once, before the engine's answer. */
  patchLabels(imageIds: readonly number[], classId: number | null): void {
    const next = new Map(this.#labels);
    for (const id of imageIds) next.set(id, classId);
    this.#labels = next;
  }

  /** The map's coordinates; computed once per model (PCA of the codes, in the engine). */
  async loadProjection(): Promise<void> {
    if (this.#projection || this.#loadingProjection) return;
    this.#loadingProjection = true;
    try {
      this.#projection = await backend.call('insights.projection', {});
      this.#error = null;
    } catch (err) {
      this.#error = messageOf(err);
    } finally {
      this.#loadingProjection = false;
    }
  }

  /**
   * Accepts the model's suggestion for these images (key A): images that share a
   * suggestion are relabelled in one undoable step.
   */
  async acceptSuggestions(imageIds: readonly number[]): Promise<boolean> {
    const fixes = imageIds.map((id) => this.#suggestions.get(id)).filter((s): s is SuggestedFix => Boolean(s));
    if (!fixes.length) {
      toasts.show(imageIds.length ? 'The model has no suggestion for this image' : 'Select an image first', { timeoutMs: 2200 });
      return false;
    }
    const byClass = new Map<number, number[]>();
    for (const f of fixes) byClass.set(f.suggestedClassId, [...(byClass.get(f.suggestedClassId) ?? []), f.imageId]);
    for (const [classId, ids] of byClass) library.patch(ids, { classId, conflict: false, conflictLabels: [] });
    try {
      let changed = 0;
      for (const [classId, ids] of byClass) changed += (await backend.call('labels.set', { imageIds: ids, classId })).changed;
      const names = [...byClass.keys()].map((id) => classes.byId(id)?.name ?? '?');
      toasts.show(`Accepted the suggestion: ${plural(changed, 'image')} now ${names.join(', ')}`, {
        kind: 'success',
        group: HISTORY_TOASTS,
        action: undoAction(),
      });
      return true;
    } catch (err) {
      toasts.error(`Could not accept the suggestion: ${messageOf(err)}`);
      void library.refresh();
      return false;
    }
  }

  /** Labels unlabelled images the model is sure enough about: one undoable step, then shows them for review. */
  async prelabel(minConfidence: number): Promise<boolean> {
    try {
      const result = await backend.call('insights.prelabel', { minConfidence });
      if (!result.changed) {
        toasts.show(`No unlabelled image reaches ${Math.round(minConfidence * 100)}%: lower the confidence, or train on more images`, { timeoutMs: 3500 });
        return false;
      }
      toasts.show(`Pre-labelled ${plural(result.changed, 'image')}: review them, and relabel any the model got wrong`, {
        kind: 'success',
        group: HISTORY_TOASTS,
        action: undoAction(),
      });
      await this.refreshLists();
      await this.show('prelabelled');
      return true;
    } catch (err) {
      toasts.error(`Could not pre-label: ${messageOf(err)}`);
      return false;
    }
  }

  #schedule(all: boolean, delayMs: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void (all ? this.refresh() : Promise.all([this.#listsWanted ? this.refreshLists() : undefined, this.refreshLabels()]));
    }, delayMs);
  }
}

function readLowConfidence(): number {
  try {
    const v = Number(localStorage.getItem(LOW_CONFIDENCE_KEY));
    return v > 0 && v < 1 ? v : DEFAULTS.insights.lowConfidence.value;
  } catch {
    return DEFAULTS.insights.lowConfidence.value;
  }
}

export const insights = new Insights();
