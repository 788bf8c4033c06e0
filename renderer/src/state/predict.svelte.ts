import type { PredictionItem } from 'shared/api/training';
import { DEFAULTS } from 'shared/defaults';
import type { JobProgressOf } from 'shared/jobs';
import { JobTracker } from './job-tracker.svelte';
import { backend, messageOf } from './backend.svelte';
import { toasts } from './toasts.svelte';

export interface PredictedImage {
  key: number;
  name: string;
  /** A blob: URL of the dropped bytes, or the engine's thumbnail (a data: URL) of a file read by path; null without one. */
  previewUrl: string | null;
  status: 'pending' | 'done' | 'failed';
  top: PredictionItem['top'];
  error: string | null;
  /** Unlike anything the model was trained on (its top class is a guess); false when the model cannot tell. */
  unfamiliar: boolean;
  /** Cosine similarity to the nearest training photo, when the model can tell. */
  similarity: number | null;
}

export type PredictSortKey = 'name' | 'label' | 'probability';

/** Results kept on screen; older ones give back their preview memory. */
const MAX_RESULTS = 500;
const TOP_K = DEFAULTS.predict.topInStudio.value;
/** At most this many dropped images on their way to the engine at once. */
const CONCURRENCY = 2;

/**
 * The predict pane: images dropped, pasted, chosen or captured are sent to the engine
 * as bytes (`predict.image`), a folder path as a predict job (`predict.start`); results are kept
 * newest first, sortable, and exportable as CSV.
 */
class Predict {
  #items = $state.raw<PredictedImage[]>([]);
  #sortKey = $state<PredictSortKey | null>(null);
  #descending = $state(true);
  #busy = $state(0);
  #folderError = $state<string | null>(null);
  #nextKey = 1;
  #folderJob = new JobTracker('the prediction');
  #folderProgress = $state<JobProgressOf<'predict'> | null>(null);
  #queue: Array<() => Promise<void>> = [];
  #running = 0;

  get items(): readonly PredictedImage[] {
    return this.#items;
  }
  get busy(): boolean {
    return this.#busy > 0;
  }
  get folderError(): string | null {
    return this.#folderError;
  }
  get sortKey(): PredictSortKey | null {
    return this.#sortKey;
  }
  get descending(): boolean {
    return this.#descending;
  }

  /** The batch table's rows in the chosen order (newest first when unsorted). */
  get sorted(): readonly PredictedImage[] {
    const key = this.#sortKey;
    if (!key) return this.#items;
    const sign = this.#descending ? -1 : 1;
    const value = (i: PredictedImage) =>
      key === 'name' ? i.name.toLowerCase() : key === 'label' ? (i.top[0]?.label ?? '') : (i.top[0]?.probability ?? -1);
    return [...this.#items].sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      return va < vb ? -sign : va > vb ? sign : 0;
    });
  }

  sortBy(key: PredictSortKey): void {
    if (this.#sortKey === key) this.#descending = !this.#descending;
    else {
      this.#sortKey = key;
      this.#descending = key === 'probability';
    }
  }

  /** Predicts image files from a drop, paste, file chooser or webcam capture. */
  addFiles(files: Iterable<File>): void {
    for (const file of files) {
      if (file.type && !file.type.startsWith('image/')) {
        toasts.show(`${file.name} is not an image; skipped.`);
        continue;
      }
      const item: PredictedImage = {
        key: this.#nextKey++,
        // A chosen folder's files carry their path inside it, which tells same-named photos apart.
        name: file.webkitRelativePath || file.name || 'pasted image',
        previewUrl: URL.createObjectURL(file),
        status: 'pending',
        top: [],
        error: null,
        unfamiliar: false,
        similarity: null,
      };
      this.#prepend([item]);
      this.#enqueue(async () => {
        try {
          const base64 = await toBase64(file);
          const result = await backend.call('predict.image', { base64, name: item.name, top: TOP_K });
          this.#update(item.key, result.error ? { status: 'failed', error: result.error } : { status: 'done', ...verdictOf(result) });
        } catch (err) {
          this.#update(item.key, { status: 'failed', error: messageOf(err) });
        }
      });
    }
  }

  /** Predicts every image in a folder (or one file) on the engine's disk, as a job. */
  async addFolder(path: string): Promise<boolean> {
    const trimmed = path.trim();
    if (!trimmed) {
      this.#folderError = 'Type or paste the path of a folder or image.';
      return false;
    }
    if (this.#folderJob.jobId) return false;
    this.#folderError = null;
    this.#folderProgress = null;
    this.#busy++;
    try {
      await this.#folderJob.begin(
        // Thumbnails for what the pane keeps: the folder's first MAX_RESULTS images.
        () => backend.call('predict.start', { paths: [trimmed], top: TOP_K, thumbnails: MAX_RESULTS }),
        () => undefined,
      );
      return true;
    } catch (err) {
      this.#busy--;
      this.#folderError = messageOf(err);
      return false;
    }
  }

  /** Progress of the folder being predicted (count, rate, time left), or null. */
  get folderProgress(): JobProgressOf<'predict'> | null {
    return this.#folderProgress;
  }

  /** A folder is being predicted (it can be cancelled). */
  get folderRunning(): boolean {
    return this.#folderJob.jobId !== null;
  }

  cancelFolder(): Promise<void> {
    return this.#folderJob.cancel();
  }

  /** Follows the folder jobs' progress and results; returns its own cleanup. */
  listen(): () => void {
    const offProgress = backend.on('job.progress', (p) => {
      if (p.kind !== 'predict') return;
      this.#folderJob.route(p.jobId, () => {
        this.#folderProgress = p;
      });
    });
    const offFinished = backend.on('job.finished', (f) => {
      if (f.kind !== 'predict') return;
      this.#folderJob.route(f.jobId, () => {
        this.#folderJob.finish();
        this.#folderProgress = null;
        this.#busy--;
        if (f.status === 'failed') this.#folderError = f.error.message;
        else if (f.result) {
          // In the folder's own order at the top (prepend takes items in arrival order).
          this.#prepend(
            f.result.predictions
              .map((p) => ({
                key: this.#nextKey++,
                name: p.path,
                previewUrl: p.thumbnail ?? null,
                status: p.error ? ('failed' as const) : ('done' as const),
                error: p.error ?? null,
                ...verdictOf(p),
              }))
              .reverse(),
          );
        }
        if (f.status === 'cancelled') toasts.show('Prediction cancelled.');
      });
    });
    return () => {
      offProgress();
      offFinished();
    };
  }

  clear(): void {
    for (const item of this.#items) if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
    this.#items = [];
  }

  /** The results as CSV: one row per image, its top prediction and the top-k. */
  csv(): string {
    const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const header = ['image', 'label', 'probability', ...Array.from({ length: TOP_K }, (_, i) => [`top${i + 1}`, `p${i + 1}`]).flat(), 'error', 'unfamiliar'];
    const rows = this.sorted.map((i) => [
      quote(i.name),
      quote(i.top[0]?.label ?? ''),
      i.top[0] ? i.top[0].probability.toFixed(4) : '',
      ...Array.from({ length: TOP_K }, (_, k) => [quote(i.top[k]?.label ?? ''), i.top[k] ? i.top[k].probability.toFixed(4) : '']).flat(),
      quote(i.error ?? ''),
      i.unfamiliar ? 'yes' : '',
    ]);
    return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
  }

  #prepend(items: PredictedImage[]): void {
    const next = [...items.reverse(), ...this.#items];
    for (const dropped of next.slice(MAX_RESULTS)) if (dropped.previewUrl) URL.revokeObjectURL(dropped.previewUrl);
    this.#items = next.slice(0, MAX_RESULTS);
  }

  #update(key: number, change: Partial<PredictedImage>): void {
    this.#items = this.#items.map((i) => (i.key === key ? { ...i, ...change } : i));
  }

  #enqueue(work: () => Promise<void>): void {
    this.#queue.push(work);
    this.#busy++;
    this.#pump();
  }

  #pump(): void {
    while (this.#running < CONCURRENCY && this.#queue.length) {
      const work = this.#queue.shift()!;
      this.#running++;
      void work().finally(() => {
        this.#running--;
        this.#busy--;
        this.#pump();
      });
    }
  }
}

/** What a prediction says: its top classes, and whether the photo is unlike anything the model was trained on. */
function verdictOf(p: PredictionItem): Pick<PredictedImage, 'top' | 'unfamiliar' | 'similarity'> {
  return { top: p.top ?? [], unfamiliar: p.unfamiliar ?? false, similarity: p.similarity ?? null };
}

async function toBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  // Chunked: String.fromCharCode over millions of arguments overflows the stack.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export const predict = new Predict();
