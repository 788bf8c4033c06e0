import type { ClassInfo, LabelChangeResult } from 'shared/types';
import { backend, messageOf } from './backend.svelte';
import { toasts } from './toasts.svelte';
import { HISTORY_TOASTS, undoAction } from './history.svelte';
import { plural } from '../lib/format';

/**
 * Below this many labelled images a class is flagged in the sidebar: with a train /
 * validation split there are too few examples left to learn from or to measure.
 */
export const MIN_IMAGES_TO_TRAIN = 10;

/** Keys 1–9 label with the first nine classes in sidebar order. */
export const MAX_KEYED_CLASSES = 9;

/**
 * The project's classes in sidebar order, with counts. Every change goes through the
 * engine (which records it for undo) and the list re-reads on `catalogue.changed`, so
 * what the sidebar shows is always what the catalogue holds.
 */
class Classes {
  #list = $state<ClassInfo[]>([]);
  #loaded = $state(false);
  #refreshing: Promise<void> | null = null;
  #again = false;

  get list(): readonly ClassInfo[] {
    return this.#list;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  byId(id: number | null | undefined): ClassInfo | undefined {
    if (id === null || id === undefined) return undefined;
    return this.#list.find((c) => c.id === id);
  }

  /** The class on number key `n` (1–9). */
  byKey(n: number): ClassInfo | undefined {
    if (n < 1 || n > MAX_KEYED_CLASSES) return undefined;
    return this.#list[n - 1];
  }

  /** The number key of a class, or null past the ninth. */
  keyOf(id: number): number | null {
    const index = this.#list.findIndex((c) => c.id === id);
    return index >= 0 && index < MAX_KEYED_CLASSES ? index + 1 : null;
  }

  isTooSmall(c: ClassInfo): boolean {
    return c.count < MIN_IMAGES_TO_TRAIN;
  }

  /** Re-reads the list; overlapping requests collapse into one follow-up read. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      try {
        do {
          this.#again = false;
          const list = await backend.call('classes.list', {});
          this.#list = [...list].sort((a, b) => a.position - b.position || a.id - b.id);
          this.#loaded = true;
        } while (this.#again);
      } catch (err) {
        toasts.error(`Could not read the classes: ${messageOf(err)}`);
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  listen(): () => void {
    void this.refresh();
    return backend.on('catalogue.changed', ({ areas }) => {
      if (areas.some((a) => a === 'classes' || a === 'labels' || a === 'images' || a === 'project')) void this.refresh();
    });
  }

  async create(name: string, color?: string): Promise<ClassInfo> {
    const created = await backend.call('classes.create', color ? { name, color } : { name });
    await this.refresh();
    toasts.show(`Created class “${created.name}”`, { kind: 'success', group: HISTORY_TOASTS, action: undoAction() });
    return created;
  }

  async rename(id: number, name: string): Promise<void> {
    const before = this.byId(id)?.name;
    const renamed = await backend.call('classes.rename', { id, name });
    await this.refresh();
    if (before !== renamed.name) {
      toasts.show(`Renamed “${before}” to “${renamed.name}”`, { kind: 'success', group: HISTORY_TOASTS, action: undoAction() });
    }
  }

  async recolor(id: number, color: string): Promise<void> {
    await backend.call('classes.recolor', { id, color });
    await this.refresh();
  }

  /** Moves a class one place up or down, which also changes its number key. */
  async move(id: number, delta: -1 | 1): Promise<void> {
    const ids = this.#list.map((c) => c.id);
    const from = ids.indexOf(id);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= ids.length) return;
    [ids[from], ids[to]] = [ids[to], ids[from]];
    // Show the new order at once; the engine's answer replaces it.
    this.#list = ids.map((cid) => this.byId(cid)!).map((c, position) => ({ ...c, position }));
    try {
      this.#list = [...(await backend.call('classes.reorder', { ids }))].sort((a, b) => a.position - b.position);
    } catch (err) {
      toasts.error(`Could not reorder the classes: ${messageOf(err)}`);
      await this.refresh();
    }
  }

  async merge(from: number, into: number): Promise<LabelChangeResult> {
    const source = this.byId(from)?.name ?? 'class';
    const target = this.byId(into)?.name ?? 'class';
    const result = await backend.call('classes.merge', { from, into });
    await this.refresh();
    toasts.show(`Merged “${source}” into “${target}” (${plural(result.changed, 'image')} moved)`, {
      kind: 'success',
      group: HISTORY_TOASTS,
      action: undoAction(),
    });
    return result;
  }

  async remove(id: number): Promise<LabelChangeResult> {
    const name = this.byId(id)?.name ?? 'class';
    const result = await backend.call('classes.delete', { id });
    await this.refresh();
    toasts.show(`Deleted “${name}”; ${plural(result.changed, 'image')} now unlabelled`, {
      kind: 'success',
      group: HISTORY_TOASTS,
      action: undoAction(),
    });
    return result;
  }
}

export const classes = new Classes();
