/**
 * Which images are selected, and which one has the keyboard focus. Works on image
 * ids (which survive re-sorting) plus the focus position, which matters when the
 * focused image leaves the view: after labelling it out of "Unlabelled", focus stays
 * at the same place and so lands on the next image, ready for the next key press.
 */
class Selection {
  #ids = $state.raw<ReadonlySet<number>>(new Set());
  #anchorIndex = $state<number | null>(null);
  #focusIndex = $state(-1);

  get ids(): ReadonlySet<number> {
    return this.#ids;
  }

  get size(): number {
    return this.#ids.size;
  }

  get focusIndex(): number {
    return this.#focusIndex;
  }

  get anchorIndex(): number | null {
    return this.#anchorIndex;
  }

  has(id: number): boolean {
    return this.#ids.has(id);
  }

  /** What a label key applies to: the selection, else the focused image. */
  targets(view: readonly number[]): number[] {
    if (this.#ids.size) return view.filter((id) => this.#ids.has(id));
    const focused = view[this.#focusIndex];
    return focused === undefined ? [] : [focused];
  }

  /** A click: plain replaces, Ctrl/Cmd toggles, Shift extends from the anchor. */
  click(index: number, view: readonly number[], mode: { extend: boolean; toggle: boolean }): void {
    const id = view[index];
    if (id === undefined) return;
    if (mode.extend && this.#anchorIndex !== null) {
      const range = rangeIds(view, this.#anchorIndex, index);
      if (mode.toggle) {
        const next = new Set(this.#ids);
        for (const r of range) next.add(r);
        this.#ids = next;
      } else {
        this.#ids = new Set(range);
      }
    } else if (mode.toggle) {
      const next = new Set(this.#ids);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      this.#ids = next;
      this.#anchorIndex = index;
    } else {
      this.#ids = new Set([id]);
      this.#anchorIndex = index;
    }
    this.#focusIndex = index;
  }

  /** Keyboard move: the focus moves; Shift extends from the anchor, else selects only it. */
  moveFocus(index: number, view: readonly number[], extend: boolean): void {
    if (!view.length) return;
    const clamped = Math.max(0, Math.min(view.length - 1, index));
    if (extend) {
      if (this.#anchorIndex === null) this.#anchorIndex = Math.max(0, this.#focusIndex);
      this.#ids = new Set(rangeIds(view, this.#anchorIndex, clamped));
    } else {
      this.#ids = new Set([view[clamped]]);
      this.#anchorIndex = clamped;
    }
    this.#focusIndex = clamped;
  }

  /** Rubber band: the ids inside the rectangle, added to `base` when extending. */
  setBand(ids: Iterable<number>, base: ReadonlySet<number> | null): void {
    const next = new Set(base ?? []);
    for (const id of ids) next.add(id);
    this.#ids = next;
  }

  selectAll(view: readonly number[]): void {
    this.#ids = new Set(view);
    if (this.#focusIndex < 0 && view.length) this.#focusIndex = 0;
  }

  /** Selects exactly these (e.g. the image under a right click). */
  set(ids: Iterable<number>, focusIndex?: number): void {
    this.#ids = new Set(ids);
    if (focusIndex !== undefined) {
      this.#focusIndex = focusIndex;
      this.#anchorIndex = focusIndex;
    }
  }

  setFocus(index: number): void {
    this.#focusIndex = index;
  }

  clear(): void {
    this.#ids = new Set();
    this.#anchorIndex = null;
  }

  /**
   * After the view changed: drop selected ids that left it, keep the focus on the
   * same image if it is still there, else at the same position (the next image),
   * and select that image when nothing selected is left.
   */
  reconcile(previous: readonly number[], view: readonly number[]): void {
    const inView = new Set(view);
    const focusedId = previous[this.#focusIndex];
    const kept = [...this.#ids].filter((id) => inView.has(id));
    const hadSelection = this.#ids.size > 0;
    if (kept.length !== this.#ids.size) this.#ids = new Set(kept);

    if (!view.length) {
      this.#focusIndex = -1;
      this.#anchorIndex = null;
      return;
    }
    if (focusedId !== undefined && inView.has(focusedId)) {
      this.#focusIndex = view.indexOf(focusedId);
    } else if (this.#focusIndex >= 0) {
      this.#focusIndex = Math.min(this.#focusIndex, view.length - 1);
      if (hadSelection && kept.length === 0) {
        this.#ids = new Set([view[this.#focusIndex]]);
        this.#anchorIndex = this.#focusIndex;
      }
    }
    if (this.#anchorIndex !== null && this.#anchorIndex >= view.length) this.#anchorIndex = view.length - 1;
  }

  /** A new view (another collection or sort): start with nothing selected. */
  reset(): void {
    this.#ids = new Set();
    this.#anchorIndex = null;
    this.#focusIndex = -1;
  }
}

function rangeIds(view: readonly number[], a: number, b: number): number[] {
  const lo = Math.max(0, Math.min(a, b));
  const hi = Math.min(view.length - 1, Math.max(a, b));
  return view.slice(lo, hi + 1);
}

export const selection = new Selection();
