import type { ImportFolderCheck } from 'shared/api/library';
import type { ImportSummary, JobProgress } from 'shared/types';
import { backend, messageOf } from './backend.svelte';
import { JobTracker } from './job-tracker.svelte';
import { plural } from '../lib/format';
import { toasts } from './toasts.svelte';
import { training } from './training.svelte';

export type ImportPhase = 'choose' | 'starting' | 'running' | 'cancelling' | 'done' | 'failed';

const RECENT_KEY = 'graft.recentImportFolders';
const MAX_RECENT = 6;

function readRecent(): string[] {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string').slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

/**
 * One folder import at a time: start it, follow its progress events, cancel it, and
 * keep its summary for the dialog. The import runs in the engine as a job, so closing
 * the dialog does not stop it; reopening shows where it is.
 */
class Importer {
  #phase = $state<ImportPhase>('choose');
  #folder = $state('');
  #job = new JobTracker('the import');
  #progress = $state<JobProgress | null>(null);
  #summary = $state<ImportSummary | null>(null);
  #error = $state<string | null>(null);
  #recent = $state<string[]>(readRecent());
  #startedAt = $state(0);

  get phase(): ImportPhase {
    return this.#phase;
  }
  get folder(): string {
    return this.#folder;
  }
  get progress(): JobProgress | null {
    return this.#progress;
  }
  /**
   * How far the import is, 0–1, or null while that is unknown: scanning counts files as it
   * finds them (done = total at every step), so it has no fraction to show.
   */
  get fraction(): number | null {
    const p = this.#progress;
    if (!p || p.stage === 'scan' || p.total <= 0) return null;
    return Math.min(1, Math.max(0, p.done / p.total));
  }
  get summary(): ImportSummary | null {
    return this.#summary;
  }
  get error(): string | null {
    return this.#error;
  }
  get recent(): readonly string[] {
    return this.#recent;
  }
  get startedAt(): number {
    return this.#startedAt;
  }
  /** Running or being cancelled: the toolbar shows a small progress indicator. */
  get active(): boolean {
    return this.#phase === 'starting' || this.#phase === 'running' || this.#phase === 'cancelling';
  }

  async start(folder: string): Promise<boolean> {
    const trimmed = folder.trim();
    if (!trimmed) {
      this.#error = 'Type or paste the path of a folder to import.';
      return false;
    }
    if (this.active) return false;
    this.#folder = trimmed;
    this.#phase = 'starting';
    this.#progress = null;
    this.#summary = null;
    this.#error = null;
    this.#startedAt = Date.now();
    try {
      let read = trimmed;
      await this.#job.begin(
        async () => {
          // The networks the next run will use: their codes come from the same decode as the
          // thumbnails, so Train (and the preparation after the import) finds them cached.
          const { backbones, flip } = training.settings;
          const started = await backend.call('import.start', { folder: trimmed, codes: { backbones, views: flip ? ['center', 'flip'] : ['center'] } });
          read = started.folder;
          return started;
        },
        () => {
          if (this.#phase === 'starting') this.#phase = 'running';
          // The folder the engine reads, absolute, so a recent folder means the same later.
          this.#folder = read;
          this.#remember(read);
        },
      );
      return true;
    } catch (err) {
      this.#phase = 'choose';
      this.#error = messageOf(err);
      return false;
    }
  }

  /** Where a typed folder resolves and whether it can be imported; null when the engine cannot say. */
  async check(folder: string): Promise<ImportFolderCheck | null> {
    try {
      return await backend.call('import.check', { folder });
    } catch {
      return null;
    }
  }

  async cancel(): Promise<void> {
    if (!this.#job.jobId || !this.active) return;
    this.#phase = 'cancelling';
    await this.#job.cancel();
  }

  /** Back to the folder chooser for another import. */
  reset(): void {
    if (this.active) return;
    this.#phase = 'choose';
    this.#summary = null;
    this.#progress = null;
    this.#error = null;
    this.#job.finish();
  }

  /** The user is editing the path: the last refusal no longer applies. */
  clearError(): void {
    if (this.#phase === 'choose') this.#error = null;
  }

  forget(folder: string): void {
    this.#recent = this.#recent.filter((f) => f !== folder);
    this.#saveRecent();
  }

  listen(): () => void {
    const offProgress = backend.on('job.progress', (p) => {
      if (p.kind !== 'import') return;
      this.#job.route(p.jobId, () => {
        this.#progress = p;
      });
    });
    const offFinished = backend.on('job.finished', (f) => {
      if (f.kind !== 'import') return;
      this.#job.route(f.jobId, () => {
        if (f.status === 'failed') {
          this.#phase = 'failed';
          this.#error = f.error.message;
          toasts.error(`Import failed: ${this.#error}`);
          return;
        }
        const summary = f.result ?? null;
        this.#summary = summary;
        this.#phase = 'done';
        if (summary) {
          const cancelled = f.status === 'cancelled' || summary.cancelled;
          toasts.show(
            `${cancelled ? 'Import cancelled' : 'Import finished'}: ${plural(summary.newImages, 'new image')}` +
              (summary.skipped.length ? `, ${summary.skipped.length} skipped` : ''),
            { kind: cancelled ? 'info' : 'success' },
          );
        } else if (f.status === 'cancelled') {
          toasts.show('Import cancelled');
        }
      });
    });
    return () => {
      offProgress();
      offFinished();
    };
  }

  #remember(folder: string): void {
    this.#recent = [folder, ...this.#recent.filter((f) => f !== folder)].slice(0, MAX_RECENT);
    this.#saveRecent();
  }

  #saveRecent(): void {
    try {
      localStorage.setItem(RECENT_KEY, JSON.stringify(this.#recent));
    } catch {
      // Recent folders are a convenience only.
    }
  }
}

export const importer = new Importer();
