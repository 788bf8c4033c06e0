export type ToastKind = 'info' | 'success' | 'error';

export interface ToastAction {
  label: string;
  run: () => void;
}

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  action?: ToastAction;
  /** Toasts of one group replace each other (label, undo, redo: only the latest matters). */
  group?: string;
}

const MAX_TOASTS = 4;
const DEFAULT_MS = 5000;
const ERROR_MS = 8000;

/**
 * Short messages at the bottom of the window ("Labelled 3 images as roses — Undo").
 * Undo in the engine always reverts the latest operation, so an older toast's Undo
 * button would undo the wrong thing once a newer operation exists: toasts about the
 * history share a group, and a new one replaces the old.
 */
class Toasts {
  #items = $state<Toast[]>([]);
  #nextId = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  get items(): readonly Toast[] {
    return this.#items;
  }

  show(message: string, options: { kind?: ToastKind; action?: ToastAction; group?: string; timeoutMs?: number } = {}): number {
    const id = this.#nextId++;
    const kind = options.kind ?? 'info';
    let items = this.#items;
    if (options.group) {
      for (const old of items.filter((t) => t.group === options.group)) this.#clearTimer(old.id);
      items = items.filter((t) => t.group !== options.group);
    }
    items = [...items, { id, kind, message, action: options.action, group: options.group }];
    while (items.length > MAX_TOASTS) {
      const dropped = items.shift();
      if (dropped) this.#clearTimer(dropped.id);
    }
    this.#items = items;
    const ms = options.timeoutMs ?? (kind === 'error' ? ERROR_MS : DEFAULT_MS);
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), ms),
    );
    return id;
  }

  error(message: string): number {
    return this.show(message, { kind: 'error' });
  }

  /** Keeps a toast up while the pointer is over it, so its button can be reached. */
  hold(id: number): void {
    this.#clearTimer(id);
  }

  release(id: number): void {
    if (!this.#items.some((t) => t.id === id)) return;
    this.#clearTimer(id);
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), 2500),
    );
  }

  dismiss(id: number): void {
    this.#clearTimer(id);
    this.#items = this.#items.filter((t) => t.id !== id);
  }

  #clearTimer(id: number): void {
    const timer = this.#timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.#timers.delete(id);
  }
}

export const toasts = new Toasts();
