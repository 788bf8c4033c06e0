import type { InsightLists, PredictionsSnapshot, ProjectionResult, SuggestedFix } from 'shared/api/insights';
import { DEFAULTS } from 'shared/defaults';
import { plural } from '../lib/format';
import { backend, codeOf, messageOf } from './backend.svelte';
import { classes } from './classes.svelte';
import { HISTORY_TOASTS, undoAction } from './history.svelte';
import { library, type HintKind } from './library.svelte';
import { toasts } from './toasts.svelte';
import { training } from './training.svelte';

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

/** Which list offers which of the model's answers on its thumbnails (the others offer none). */
const LIST_HINTS: Partial<Record<ModelList, HintKind>> = {
  suspects: 'suggestion',
  misclassified: 'prediction',
};

export interface ImagePrediction {
  label: string;
  classId: number | null;
  confidence: number;
}

/**
 * A label the model offers for an image, to accept in one click or key. Two sources that can
 * disagree, so each is named wherever it shows: `held-out` is the likely-mistakes analysis
 * (models trained without the image), `current-model` the model that predicts and exports.
 */
export interface LabelHint {
  imageId: number;
  classId: number;
  name: string;
  confidence: number;
  source: 'held-out' | 'current-model';
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
  /** Bumped when suggestions are taken back locally (an accept), before the engine's answer. */
  #suggestionsVersion = $state(0);
  #trainedLabels: { runId: string; byImage: Map<number, string> } | null = null;
  /** Analyses were shown for a model: a new model gets them again without asking (see refresh). */
  #keepAnalysed = false;
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #pendingAll = false;
  #inflight: Promise<void> | null = null;
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
    void this.#suggestionsVersion;
    return this.#suggestions.get(imageId) ?? null;
  }

  /**
   * What a thumbnail or the A key offers for an image: in a list of the current model's
   * mistakes (Misclassified, a confusion cell off the diagonal) its prediction when that
   * differs from the label; elsewhere the held-out suggestion of the likely-mistakes analysis.
   */
  hint(imageId: number, kind: HintKind = library.hints ?? 'suggestion'): LabelHint | null {
    if (kind === 'suggestion') {
      const s = this.suggestion(imageId);
      return s ? { imageId, classId: s.suggestedClassId, name: classes.byId(s.suggestedClassId)?.name ?? s.suggested, confidence: s.confidence, source: 'held-out' } : null;
    }
    const p = this.prediction(imageId);
    if (!p || p.classId === null) return null;
    const label = library.info(imageId)?.classId ?? this.#labels.get(imageId);
    if (label === undefined || label === p.classId) return null;
    return { imageId, classId: p.classId, name: classes.byId(p.classId)?.name ?? p.label, confidence: p.confidence, source: 'current-model' };
  }

  /**
   * The class an image had when the current model was trained on it, or null (not in its
   * training data, or the run's details are not loaded): the preview says when a label
   * changed since, which is why the model may disagree with it.
   */
  trainedLabel(imageId: number): string | null {
    const run = training.shown;
    const runId = this.#predictions?.runId;
    if (!run || !runId || run.id !== runId) return null;
    if (this.#trainedLabels?.runId !== runId) {
      const { imageIds, classIndex, splits } = run.config.dataset;
      const byImage = new Map<number, string>();
      imageIds.forEach((id, i) => {
        if (splits[i] === 't') byImage.set(id, run.classes[classIndex[i]]);
      });
      this.#trainedLabels = { runId, byImage };
    }
    return this.#trainedLabels.byImage.get(imageId) ?? null;
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
      if (this.analysed) this.#keepAnalysed = true;
    } finally {
      this.#analysing = false;
    }
  }

  /** Shows a model list in the library grid. */
  async show(list: ModelList): Promise<void> {
    await this.#caughtUp();
    if (!this.#lists) await this.wantLists();
    if ((list === 'suspects' || list === 'nearDuplicates') && !this.analysed) await this.analyse();
    if (list === 'suspects' || list === 'nearDuplicates') this.#keepAnalysed = true;
    library.showImages(this.ids(list), MODEL_LIST_TITLES[list], MODEL_LIST_ORDER[list], LIST_HINTS[list]);
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
    const previousRun = this.#predictions?.runId ?? null;
    let runId: string | null;
    try {
      const snap = await backend.call('insights.predictions', {});
      if (generation !== this.#generation) return;
      this.#byImage = new Map(snap.imageIds.map((id, i) => [id, i]));
      this.#predictions = snap;
      this.#projection = null;
      this.#error = null;
      runId = snap.runId;
    } catch (err) {
      if (generation === this.#generation) this.#error = messageOf(err);
      return;
    }
    await Promise.all([this.#listsWanted ? this.refreshLists() : undefined, this.refreshLabels()]);
    // A new model (retrained, or another run made current): likely mistakes and near-duplicates
    // were looked at for the last one, so they are found again for this one instead of going
    // back to "Find"; a list on screen is replaced by the new model's.
    if (runId && previousRun && runId !== previousRun && generation === this.#generation) {
      const showing = this.activeList;
      if (this.#keepAnalysed && this.#lists && !this.#lists.analysed) await this.analyse();
      if (showing && showing === this.activeList) {
        library.showImages(this.ids(showing), MODEL_LIST_TITLES[showing], MODEL_LIST_ORDER[showing], LIST_HINTS[showing]);
      }
    }
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

  /** Shows a relabelling on the map at once, before the engine's answer (`byClass`: several classes at once). */
  patchLabels(imageIds: readonly number[], classId: number | null, byClass?: ReadonlyMap<number, readonly number[]>): void {
    const next = new Map(this.#labels);
    if (byClass) {
      for (const [c, ids] of byClass) for (const id of ids) next.set(id, c);
    } else {
      for (const id of imageIds) next.set(id, classId);
    }
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

  /** Accepts the held-out suggestions for these images (the map's accept button). */
  acceptSuggestions(imageIds: readonly number[]): Promise<boolean> {
    return this.accept(imageIds, 'suggestion');
  }

  /**
   * Accepts what the model offers for these images (key A, a thumbnail's button): images that
   * share a class are relabelled in one undoable step. The offer disappears at once.
   */
  async accept(imageIds: readonly number[], kind: HintKind = library.hints ?? 'suggestion'): Promise<boolean> {
    const hints = imageIds.map((id) => this.hint(id, kind)).filter((h): h is LabelHint => h !== null);
    if (!hints.length) {
      const none = kind === 'prediction' ? 'The current model already agrees with this label' : 'The model has no suggestion for this image';
      toasts.show(imageIds.length ? none : 'Select an image first', { timeoutMs: 2200 });
      return false;
    }
    const byClass = new Map<number, number[]>();
    for (const h of hints) byClass.set(h.classId, [...(byClass.get(h.classId) ?? []), h.imageId]);
    for (const [classId, ids] of byClass) library.patch(ids, { classId, conflict: false, conflictLabels: [] });
    this.patchLabels(hints.map((h) => h.imageId), null, byClass);
    const taken = hints.filter((h) => h.source === 'held-out').map((h) => [h.imageId, this.#suggestions.get(h.imageId)!] as const);
    for (const [id] of taken) this.#suggestions.delete(id);
    if (taken.length) this.#suggestionsVersion++;
    try {
      let changed = 0;
      for (const [classId, ids] of byClass) changed += (await backend.call('labels.set', { imageIds: ids, classId })).changed;
      const names = [...byClass.keys()].map((id) => classes.byId(id)?.name ?? '?');
      const what = kind === 'prediction' ? "the model's prediction" : 'the suggestion';
      toasts.show(`Accepted ${what}: ${plural(changed, 'image')} now ${names.join(', ')}`, {
        kind: 'success',
        group: HISTORY_TOASTS,
        action: undoAction(),
      });
      return true;
    } catch (err) {
      for (const [id, fix] of taken) this.#suggestions.set(id, fix);
      if (taken.length) this.#suggestionsVersion++;
      toasts.error(`Could not accept ${kind === 'prediction' ? 'the prediction' : 'the suggestion'}: ${messageOf(err)}`);
      void library.refresh();
      void this.refreshLabels();
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

  /**
   * Changes come in bursts (a relabel, codes while a job runs), so a refresh waits for a pause;
   * a full refresh asked for in the burst is not lost to a later, smaller one.
   */
  #schedule(all: boolean, delayMs: number): void {
    this.#pendingAll ||= all;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#flush(), delayMs);
  }

  #flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const all = this.#pendingAll;
    this.#pendingAll = false;
    const run = all ? this.refresh() : Promise.all([this.#listsWanted ? this.refreshLists() : undefined, this.refreshLabels()]).then(() => undefined);
    const inflight: Promise<void> = run.finally(() => {
      if (this.#inflight === inflight) this.#inflight = null;
    });
    this.#inflight = inflight;
    return inflight;
  }

  /** Catches up with what the engine has reported, so a list opened now is the current one. */
  async #caughtUp(): Promise<void> {
    if (this.#timer) await this.#flush();
    else if (this.#inflight) await this.#inflight;
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
