import type { UndoResult } from 'shared/types';
import { backend, messageOf } from './backend.svelte';
import { toasts } from './toasts.svelte';

/**
 * Undo and redo of label and class changes. The engine keeps the history (in the
 * catalogue, so it survives a restart); this only sends the request, serialises key
 * repeats so Ctrl+Z held down undoes one step at a time, and says what happened.
 */
class History {
  #busy = $state(false);
  #queue: Promise<unknown> = Promise.resolve();

  get busy(): boolean {
    return this.#busy;
  }

  undo(): Promise<UndoResult | null> {
    return this.#run('labels.undo');
  }

  redo(): Promise<UndoResult | null> {
    return this.#run('labels.redo');
  }

  #run(method: 'labels.undo' | 'labels.redo'): Promise<UndoResult | null> {
    const next = this.#queue.then(async () => {
      this.#busy = true;
      try {
        const result = await backend.call(method, {});
        if (result.description) {
          // The engine words it already: 'Undid: label 3 images as "roses"'.
          toasts.show(result.description, {
            group: HISTORY_TOASTS,
            action: method === 'labels.undo' ? { label: 'Redo', run: () => void this.redo() } : undoAction(),
          });
        } else {
          toasts.show(method === 'labels.undo' ? 'Nothing to undo' : 'Nothing to redo', { timeoutMs: 2000, group: HISTORY_TOASTS });
        }
        return result;
      } catch (err) {
        toasts.error(`${method === 'labels.undo' ? 'Undo' : 'Redo'} failed: ${messageOf(err)}`);
        return null;
      } finally {
        this.#busy = false;
      }
    });
    this.#queue = next;
    return next;
  }
}

export const history = new History();

/** Toasts about labels and undo replace each other: only the latest can be undone. */
export const HISTORY_TOASTS = 'history';

/** The toast button that reverts the operation just done (always the engine's latest). */
export function undoAction() {
  return { label: 'Undo', run: () => void history.undo() };
}
