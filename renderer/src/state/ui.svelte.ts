import type { Component } from 'svelte';

/** The studio's main views. Training, prediction and export join this list later. */
export type ViewName = 'library' | 'map' | 'train' | 'predict';

/** Full-window layers above the library; one at a time. */
export type Overlay = 'help' | 'import' | 'preview';

/** Dialogs about one class; each carries out its own change and shows its own errors. */
export type ClassDialog =
  | { kind: 'create'; thenLabel?: readonly number[] }
  | { kind: 'rename'; classId: number }
  | { kind: 'merge'; classId: number }
  | { kind: 'delete'; classId: number };

export type MenuItem =
  | {
      kind?: 'item';
      label: string;
      run: () => void;
      icon?: Component;
      /** A class colour shown as a dot before the label. */
      swatch?: string;
      shortcut?: string;
      danger?: boolean;
      disabled?: boolean;
      checked?: boolean;
    }
  | { kind: 'separator' }
  | { kind: 'heading'; label: string };

export interface OpenMenu {
  x: number;
  y: number;
  items: MenuItem[];
  /** Accessible name of the menu. */
  label: string;
  /** Element to give focus back to when the menu closes. */
  returnFocus: HTMLElement | null;
}

/**
 * What is open on screen: the current view, the overlay, a class dialog, a menu.
 * Kept together because each decides where the keyboard goes.
 */
class Ui {
  #view = $state<ViewName>('library');
  #overlay = $state<Overlay | null>(null);
  #previewIndex = $state(0);
  #classDialog = $state<ClassDialog | null>(null);
  #menu = $state<OpenMenu | null>(null);

  get view(): ViewName {
    return this.#view;
  }
  get overlay(): Overlay | null {
    return this.#overlay;
  }
  get previewIndex(): number {
    return this.#previewIndex;
  }
  get classDialog(): ClassDialog | null {
    return this.#classDialog;
  }
  get menu(): OpenMenu | null {
    return this.#menu;
  }
  /** Something modal is up: library shortcuts stay quiet. */
  get modal(): boolean {
    return (this.#overlay !== null && this.#overlay !== 'preview') || this.#classDialog !== null;
  }

  show(view: ViewName): void {
    this.#view = view;
  }

  open(overlay: Overlay): void {
    this.#menu = null;
    this.#overlay = overlay;
  }

  close(overlay?: Overlay): void {
    if (!overlay || this.#overlay === overlay) this.#overlay = null;
  }

  toggle(overlay: Overlay): void {
    if (this.#overlay === overlay) this.close();
    else this.open(overlay);
  }

  openPreview(index: number): void {
    this.#previewIndex = index;
    this.open('preview');
  }

  setPreviewIndex(index: number): void {
    this.#previewIndex = index;
  }

  openClassDialog(dialog: ClassDialog): void {
    this.#menu = null;
    this.#classDialog = dialog;
  }

  closeClassDialog(): void {
    this.#classDialog = null;
  }

  openMenu(menu: Omit<OpenMenu, 'returnFocus'> & { returnFocus?: HTMLElement | null }): void {
    const active = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.#menu = { ...menu, returnFocus: menu.returnFocus ?? active };
  }

  closeMenu(): void {
    const menu = this.#menu;
    this.#menu = null;
    menu?.returnFocus?.focus({ preventScroll: true });
  }
}

export const ui = new Ui();
