import type { ImageFilter, ImageSort } from 'shared/api/library';
import type { ImageInfo, Split } from 'shared/types';
import { backend, messageOf } from './backend.svelte';
import { selection } from './selection.svelte';
import { toasts } from './toasts.svelte';

/** The sorts a person picks, kept across launches (`list` belongs to one ranked collection). */
const STORED_SORTS: readonly ImageSort[] = ['imported', 'name', 'class', 'size'];

/** What the sidebar picked: the grid shows one collection at a time. */
export type Collection =
  | { kind: 'all' }
  | { kind: 'unlabelled' }
  | { kind: 'class'; classId: number }
  | { kind: 'conflicts' }
  | { kind: 'duplicates' }
  | { kind: 'missing' }
  /**
   * Exactly these images (a confusion-matrix cell, a model list), under a title saying what
   * they are. `ranked` names the order of `ids` when it means something ("Most likely
   * mistake first"): the grid shows them in that order until another sort is chosen.
   * `hints` says which of the model's answers each thumbnail offers to accept: the held-out
   * suggestion of the likely-mistakes analysis, or the current model's prediction.
   */
  | { kind: 'images'; ids: readonly number[]; title: string; ranked?: string; hints?: HintKind };

/** Which answer of the model a list offers: see `insights.hint`. */
export type HintKind = 'suggestion' | 'prediction';

/** Rows of metadata fetched per request as the grid scrolls. */
const PAGE_SIZE = 150;
/** Past this many cached entries, a refresh starts the cache afresh. */
const INFO_CACHE_LIMIT = 30_000;
export const THUMB_MIN = 96;
export const THUMB_MAX = 320;
const THUMB_DEFAULT = 144;

const PREFS_KEY = 'graft.library';

interface LibraryPrefs {
  sort: ImageSort;
  descending: boolean;
  thumbSize: number;
  crop: boolean;
}

function readPrefs(): LibraryPrefs {
  const defaults: LibraryPrefs = { sort: 'imported', descending: false, thumbSize: THUMB_DEFAULT, crop: true };
  try {
    const stored = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<LibraryPrefs>;
    return {
      sort: STORED_SORTS.includes(stored.sort as ImageSort) ? (stored.sort as ImageSort) : defaults.sort,
      descending: typeof stored.descending === 'boolean' ? stored.descending : defaults.descending,
      thumbSize:
        typeof stored.thumbSize === 'number' ? Math.max(THUMB_MIN, Math.min(THUMB_MAX, stored.thumbSize)) : defaults.thumbSize,
      crop: typeof stored.crop === 'boolean' ? stored.crop : defaults.crop,
    };
  } catch {
    return defaults;
  }
}

/**
 * The library view: which images the grid shows and in what order.
 *
 * The whole ordered id list is fetched at once (`images.ids`: 10,000 ids are ~60 kB),
 * so the grid can lay out and request thumbnails immediately; the per-image details
 * (class, flags, path) arrive in pages for the rows on screen only.
 */
class Library {
  #collection = $state<Collection>({ kind: 'all' });
  #split = $state<Split | null>(null);
  #search = $state('');
  #sort = $state<ImageSort>('imported');
  /** In a ranked collection, the person picked another sort than the list's own order. */
  #sortedAway = $state(false);
  /** A ranked list shown backwards (least likely first); starts false with each list. */
  #listDescending = $state(false);
  #descending = $state(false);
  #thumbSize = $state(THUMB_DEFAULT);
  #crop = $state(true);
  #columns = $state(1);
  #rowsPerPage = $state(1);

  #ids = $state.raw<readonly number[]>([]);
  #ready = $state(false);
  #loading = $state(false);
  #error = $state<string | null>(null);
  /** Bumped whenever the view is replaced by another (not when it is merely refreshed). */
  #viewVersion = $state(0);

  #info = new Map<number, ImageInfo>();
  #infoVersion = $state(0);
  #pages = new Map<number, Promise<void>>();
  #generation = 0;
  #range = { start: 0, end: 0 };
  #refreshTimer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    const prefs = readPrefs();
    this.#sort = prefs.sort;
    this.#descending = prefs.descending;
    this.#thumbSize = prefs.thumbSize;
    this.#crop = prefs.crop;
  }

  get collection(): Collection {
    return this.#collection;
  }
  get split(): Split | null {
    return this.#split;
  }
  get search(): string {
    return this.#search;
  }
  /** The sort in effect: a ranked collection keeps its own order unless another was chosen. */
  get sort(): ImageSort {
    return this.ranking && !this.#sortedAway ? 'list' : this.#sort;
  }
  /** Which of the model's answers the thumbnails offer, in a model list or a confusion cell. */
  get hints(): HintKind | null {
    const c = this.#collection;
    return c.kind === 'images' ? (c.hints ?? null) : null;
  }
  /** What the current collection's own order means, when it has one. */
  get ranking(): string | null {
    const c = this.#collection;
    return c.kind === 'images' && c.ranked ? c.ranked : null;
  }
  get descending(): boolean {
    return this.sort === 'list' ? this.#listDescending : this.#descending;
  }
  get thumbSize(): number {
    return this.#thumbSize;
  }
  /** Thumbnails cropped to squares (tidy) or shown whole (nothing hidden). */
  get crop(): boolean {
    return this.#crop;
  }
  get columns(): number {
    return this.#columns;
  }
  /** Whole rows that fit on screen, for Page Up / Page Down. */
  get rowsPerPage(): number {
    return this.#rowsPerPage;
  }
  get ids(): readonly number[] {
    return this.#ids;
  }
  get total(): number {
    return this.#ids.length;
  }
  /** The first answer for this view has arrived. */
  get ready(): boolean {
    return this.#ready;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get error(): string | null {
    return this.#error;
  }
  get viewVersion(): number {
    return this.#viewVersion;
  }

  /** Filter sent to the engine for the current collection, split and search. */
  get filter(): ImageFilter {
    const filter: ImageFilter = {};
    const c = this.#collection;
    if (c.kind === 'unlabelled') filter.classId = 'unlabelled';
    else if (c.kind === 'class') filter.classId = c.classId;
    else if (c.kind === 'conflicts') filter.conflicts = true;
    else if (c.kind === 'duplicates') filter.duplicates = true;
    else if (c.kind === 'missing') filter.missing = true;
    else if (c.kind === 'images') filter.ids = [...c.ids];
    if (this.#split) filter.split = this.#split;
    const search = this.#search.trim();
    if (search) filter.search = search;
    return filter;
  }

  /** Details of an image, once its page has loaded (reactive). */
  info(id: number): ImageInfo | undefined {
    void this.#infoVersion;
    return this.#info.get(id);
  }

  isCollection(c: Collection): boolean {
    const a = this.#collection;
    if (a.kind === 'images') return c.kind === 'images' && a.title === c.title && a.ids.join() === c.ids.join();
    return a.kind === c.kind && (a.kind !== 'class' || (c.kind === 'class' && a.classId === c.classId));
  }

  /** Shows exactly these images, with no split or search narrowing them further. */
  showImages(ids: readonly number[], title: string, ranked?: string, hints?: HintKind): void {
    this.#split = null;
    this.#search = '';
    this.#collection = { kind: 'images', ids, title, ...(ranked ? { ranked } : {}), ...(hints ? { hints } : {}) };
    this.#sortedAway = false;
    this.#listDescending = false;
    this.#replaceView();
  }

  setCollection(c: Collection): void {
    if (this.isCollection(c)) return;
    this.#collection = c;
    this.#replaceView();
  }

  setSplit(split: Split | null): void {
    if (this.#split === split) return;
    this.#split = split;
    this.#replaceView();
  }

  setSearch(search: string): void {
    if (this.#search === search) return;
    this.#search = search;
    this.#replaceView();
  }

  setSort(sort: ImageSort, descending = sort === this.sort ? this.descending : sort === 'list' ? false : this.#descending): void {
    if (this.sort === sort && this.descending === descending) return;
    if (sort === 'list') {
      // Only a ranked collection has a list order, and it is not a preference to remember.
      if (!this.ranking) return;
      this.#sortedAway = false;
      this.#listDescending = descending;
    } else {
      this.#sortedAway = Boolean(this.ranking);
      this.#sort = sort;
      this.#descending = descending;
      this.#savePrefs();
    }
    this.#replaceView();
  }

  setThumbSize(size: number): void {
    this.#thumbSize = Math.round(Math.max(THUMB_MIN, Math.min(THUMB_MAX, size)));
    this.#savePrefs();
  }

  /** Bigger or smaller thumbnails by one step (keys + and -). */
  zoom(direction: 1 | -1): void {
    this.setThumbSize(this.#thumbSize + direction * 32);
  }

  setCrop(crop: boolean): void {
    this.#crop = crop;
    this.#savePrefs();
  }

  /** The grid reports its shape, which arrow and page keys need to move around. */
  setGridShape(columns: number, rowsPerPage: number): void {
    if (columns !== this.#columns) this.#columns = Math.max(1, columns);
    if (rowsPerPage !== this.#rowsPerPage) this.#rowsPerPage = Math.max(1, rowsPerPage);
  }

  /** The grid says which items are on screen; their details are fetched if missing. */
  showRange(start: number, end: number): void {
    this.#range = { start, end };
    this.#fetchRange(this.#generation);
  }

  /** Shows a label change at once, before the engine's answer and the re-query. */
  patch(ids: readonly number[], change: Partial<ImageInfo>): void {
    let touched = false;
    for (const id of ids) {
      const info = this.#info.get(id);
      if (info) {
        this.#info.set(id, { ...info, ...change });
        touched = true;
      }
    }
    if (touched) this.#infoVersion++;
  }

  listen(): () => void {
    void this.refresh();
    const off = backend.on('catalogue.changed', ({ areas }) => {
      if (areas.some((a) => a === 'images' || a === 'labels' || a === 'classes' || a === 'project')) this.#scheduleRefresh();
    });
    return () => {
      off();
      if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
      this.#refreshTimer = null;
    };
  }

  /** Re-reads the current view, keeping what is shown until the answer arrives. */
  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    this.#loading = true;
    try {
      const { ids } = await backend.call('images.ids', {
        filter: this.filter,
        sort: this.sort,
        descending: this.descending,
      });
      if (generation !== this.#generation) return;
      const previous = this.#ids;
      this.#pages.clear();
      if (this.#info.size > INFO_CACHE_LIMIT) this.#info.clear();
      this.#ids = ids;
      this.#error = null;
      selection.reconcile(previous, ids);
      this.#ready = true;
      this.#fetchRange(generation);
    } catch (err) {
      if (generation !== this.#generation) return;
      this.#error = messageOf(err);
      this.#ready = true;
    } finally {
      if (generation === this.#generation) this.#loading = false;
    }
  }

  #replaceView(): void {
    selection.reset();
    this.#viewVersion++;
    this.#ready = false;
    this.#ids = [];
    void this.refresh();
  }

  /** Label changes arrive in bursts (an import sends many): re-query once per burst. */
  #scheduleRefresh(): void {
    if (this.#refreshTimer) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      void this.refresh();
    }, 60);
  }

  #fetchRange(generation: number): void {
    const total = this.#ids.length;
    if (!total) return;
    const start = Math.max(0, Math.min(this.#range.start, total - 1));
    const end = Math.max(start + 1, Math.min(this.#range.end, total));
    for (let page = Math.floor(start / PAGE_SIZE); page <= Math.floor((end - 1) / PAGE_SIZE); page++) {
      if (!this.#pages.has(page)) this.#pages.set(page, this.#loadPage(page, generation));
    }
  }

  async #loadPage(page: number, generation: number): Promise<void> {
    try {
      const { images } = await backend.call('images.list', {
        filter: this.filter,
        sort: this.sort,
        descending: this.descending,
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      if (generation !== this.#generation) return;
      for (const image of images) this.#info.set(image.id, image);
      this.#infoVersion++;
    } catch (err) {
      if (generation !== this.#generation) return;
      this.#pages.delete(page);
      toasts.error(`Could not load image details: ${messageOf(err)}`);
    }
  }

  #savePrefs(): void {
    try {
      const prefs: LibraryPrefs = {
        sort: this.#sort,
        descending: this.#descending,
        thumbSize: this.#thumbSize,
        crop: this.#crop,
      };
      localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
    } catch {
      // Preferences are a convenience; the view still works without storage.
    }
  }
}

export const library = new Library();
