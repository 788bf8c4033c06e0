import { backend, messageOf } from './backend.svelte';
import { classes } from './classes.svelte';
import { plural } from '../lib/format';
import { HISTORY_TOASTS, undoAction } from './history.svelte';
import { library } from './library.svelte';
import { toasts } from './toasts.svelte';

/**
 * Labelling as the user does it: a key, a drag onto a class, a menu item. Each is one
 * undoable operation in the engine; the grid shows the new label at once and then
 * re-reads the view when the catalogue says it changed.
 */
class Labelling {
  #pending = $state(0);

  get pending(): boolean {
    return this.#pending > 0;
  }

  async label(imageIds: readonly number[], classId: number | null): Promise<boolean> {
    if (!imageIds.length) return false;
    const cls = classId === null ? null : classes.byId(classId);
    if (classId !== null && !cls) return false;
    const ids = [...imageIds];
    library.patch(ids, { classId, conflict: false, conflictLabels: [] });
    this.#pending++;
    try {
      const result = await backend.call('labels.set', { imageIds: ids, classId });
      if (result.changed === 0) {
        toasts.show(cls ? `Already labelled ${cls.name}` : 'Already unlabelled', { timeoutMs: 2000, group: HISTORY_TOASTS });
      } else {
        const message = cls
          ? `Labelled ${plural(result.changed, 'image')} as ${cls.name}`
          : `Marked ${plural(result.changed, 'image')} as unlabelled`;
        toasts.show(message, { kind: 'success', group: HISTORY_TOASTS, action: undoAction() });
      }
      return true;
    } catch (err) {
      toasts.error(`Could not change the label: ${messageOf(err)}`);
      void library.refresh();
      return false;
    } finally {
      this.#pending--;
    }
  }

  /** Number keys: 1–9 pick the class in that place, 0 clears the label. */
  labelWithKey(imageIds: readonly number[], key: number): Promise<boolean> {
    if (key === 0) return this.label(imageIds, null);
    const cls = classes.byKey(key);
    if (!cls) {
      toasts.show(
        classes.list.length
          ? `No class on key ${key}: there ${classes.list.length === 1 ? 'is' : 'are'} ${plural(classes.list.length, 'class', 'classes')}`
          : 'Create a class first: there is nothing to label with yet',
        { timeoutMs: 2500 },
      );
      return Promise.resolve(false);
    }
    return this.label(imageIds, cls.id);
  }
}

export const labelling = new Labelling();
