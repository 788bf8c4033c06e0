import type { ProjectStatus } from 'shared/types';
import { backend, messageOf } from './backend.svelte';

/**
 * The open project at a glance: its file, how many images, and the counts behind the
 * sidebar's collections (unlabelled, conflicts, duplicates, missing files).
 */
class Project {
  #status = $state<ProjectStatus | null>(null);
  #duplicates = $state(0);
  #error = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | null = null;

  get status(): ProjectStatus | null {
    return this.#status;
  }

  get loaded(): boolean {
    return this.#status !== null;
  }

  /** No images yet: the first-run screen shows instead of an empty grid. */
  get isEmpty(): boolean {
    return this.#status !== null && this.#status.images === 0;
  }

  get images(): number {
    return this.#status?.images ?? 0;
  }

  get unlabelled(): number {
    return this.#status?.unlabelled ?? 0;
  }

  get conflicts(): number {
    return this.#status?.conflicts ?? 0;
  }

  get missing(): number {
    return this.#status?.missing ?? 0;
  }

  get duplicates(): number {
    return this.#duplicates;
  }

  /** "flowers" for /home/me/flowers.graft. */
  get name(): string {
    const file = this.#status?.path.split(/[\\/]/).pop() ?? '';
    return file.replace(/\.graft$/i, '') || 'Untitled project';
  }

  get path(): string {
    return this.#status?.path ?? '';
  }

  /** Why the project can be inspected but not changed (a read-only file or folder), or null. */
  get readOnly(): string | null {
    return this.#status?.readOnly ?? null;
  }

  get error(): string | null {
    return this.#error;
  }

  async refresh(): Promise<void> {
    try {
      const [status, dup] = await Promise.all([
        backend.call('project.status', {}),
        backend.call('images.count', { filter: { duplicates: true } }),
      ]);
      this.#status = status;
      this.#duplicates = dup.count;
      this.#error = null;
    } catch (err) {
      this.#error = messageOf(err);
    }
  }

  listen(): () => void {
    void this.refresh();
    const off = backend.on('catalogue.changed', () => {
      // An import announces many batches; counting once per burst is enough.
      if (this.#timer) return;
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.refresh();
      }, 150);
    });
    return () => {
      off();
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
    };
  }
}

export const project = new Project();
