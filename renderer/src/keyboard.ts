import { hasMod, isTyping, modKey } from './lib/platform';
import { history } from './state/history.svelte';
import { insights } from './state/insights.svelte';
import { labelling } from './state/labelling.svelte';
import { library } from './state/library.svelte';
import { selection } from './state/selection.svelte';
import { ui } from './state/ui.svelte';

export interface ShortcutHelpEntry {
  /** Alternatives, each a combination pressed together (arrows: keys listed side by side). */
  keys: string[][];
  does: string;
}

export interface ShortcutGroup {
  title: string;
  entries: ShortcutHelpEntry[];
}

/**
 * Every keyboard shortcut, as the help overlay (?) lists them. The handler below is
 * the other half; keep the two side by side so they cannot drift apart.
 */
export const shortcutGroups: ShortcutGroup[] = [
  {
    title: 'Labelling',
    entries: [
      { keys: [['1–9']], does: 'Label the selection with the class of that number' },
      { keys: [['0']], does: 'Mark the selection unlabelled' },
      { keys: [['A']], does: "Accept the model's label (likely mistakes, misclassified, a confusion cell)" },
      { keys: [['Drag']], does: 'Drop thumbnails on a class in the sidebar to label them' },
      { keys: [[modKey, 'Z']], does: 'Undo' },
      { keys: [[modKey, 'Shift', 'Z'], [modKey, 'Y']], does: 'Redo' },
    ],
  },
  {
    title: 'Selecting',
    entries: [
      { keys: [['Click']], does: 'Select one image' },
      { keys: [['Shift', 'Click']], does: 'Select a range' },
      { keys: [[modKey, 'Click']], does: 'Add or remove one image' },
      { keys: [['Drag']], does: 'On empty space: select with a rectangle' },
      { keys: [[modKey, 'A']], does: 'Select all in view' },
      { keys: [['Esc']], does: 'Clear the selection' },
      { keys: [['←', '↑', '→', '↓']], does: 'Move; hold Shift to extend the selection' },
    ],
  },
  {
    title: 'Viewing',
    entries: [
      { keys: [['Space'], ['Enter']], does: 'Open the large preview' },
      { keys: [['←'], ['→']], does: 'Previous / next image in the preview' },
      { keys: [['+'], ['−']], does: 'Larger / smaller thumbnails' },
      { keys: [[modKey, 'F']], does: 'Search file names' },
      { keys: [[modKey, 'I']], does: 'Import a folder' },
      { keys: [['?']], does: 'Show these shortcuts' },
    ],
  },
];

/** The number a key press stands for, by physical key so layouts with shifted digits work. */
function digitOf(e: KeyboardEvent): number | null {
  const m = /^(?:Digit|Numpad)([0-9])$/.exec(e.code);
  if (m) return Number(m[1]);
  return /^[0-9]$/.test(e.key) ? Number(e.key) : null;
}

/** Window-level key handling for the library and its preview. */
export function handleKeydown(e: KeyboardEvent): void {
  if (e.defaultPrevented || e.isComposing) return;
  if (ui.menu) return; // the open menu handles its own keys
  if (isTyping(e.target)) return;

  const mod = hasMod(e);
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;

  if (e.key === '?' && !mod) {
    e.preventDefault();
    ui.toggle('help');
    return;
  }
  if (ui.modal) return; // dialogs take Esc, Tab and Enter themselves

  if (mod && key === 'z') {
    e.preventDefault();
    void (e.shiftKey ? history.redo() : history.undo());
    return;
  }
  if (mod && key === 'y') {
    e.preventDefault();
    void history.redo();
    return;
  }
  if (mod && key === 'i') {
    e.preventDefault();
    ui.open('import');
    return;
  }

  if (ui.overlay === 'preview') {
    handlePreviewKey(e, mod);
    return;
  }
  if (ui.view !== 'library') return;

  const ids = library.ids;
  const digit = !mod && !e.altKey ? digitOf(e) : null;
  if (digit !== null) {
    e.preventDefault();
    void labelling.labelWithKey(selection.targets(ids), digit);
    return;
  }
  if (mod && key === 'a') {
    e.preventDefault();
    selection.selectAll(ids);
    return;
  }
  if (!mod && !e.altKey && key === 'a') {
    e.preventDefault();
    void insights.accept(selection.targets(ids));
    return;
  }
  if (mod && key === 'f') {
    e.preventDefault();
    document.getElementById('library-search')?.focus();
    return;
  }

  const cols = library.columns;
  const focus = selection.focusIndex;
  const move = (to: number) => {
    e.preventDefault();
    selection.moveFocus(to, ids, e.shiftKey);
  };
  switch (e.key) {
    case 'ArrowRight':
      return move(focus < 0 ? 0 : focus + 1);
    case 'ArrowLeft':
      return move(focus < 0 ? 0 : focus - 1);
    case 'ArrowDown':
      return move(focus < 0 ? 0 : focus + cols);
    case 'ArrowUp':
      return move(focus < 0 ? 0 : focus - cols);
    case 'PageDown':
      return move(Math.max(0, focus) + cols * library.rowsPerPage);
    case 'PageUp':
      return move(Math.max(0, focus) - cols * library.rowsPerPage);
    case 'Home':
      return move(0);
    case 'End':
      return move(ids.length - 1);
    case ' ':
    case 'Enter': {
      if (mod) return;
      const index = focus >= 0 ? focus : ids.findIndex((id) => selection.has(id));
      if (index >= 0 && index < ids.length) {
        e.preventDefault();
        ui.openPreview(index);
      }
      return;
    }
    case 'Escape':
      if (selection.size) {
        e.preventDefault();
        selection.clear();
      }
      return;
    case '+':
    case '=':
      if (!mod) {
        e.preventDefault();
        library.zoom(1);
      }
      return;
    case '-':
    case '_':
      if (!mod) {
        e.preventDefault();
        library.zoom(-1);
      }
      return;
  }
}

function handlePreviewKey(e: KeyboardEvent, mod: boolean): void {
  const ids = library.ids;
  const index = ui.previewIndex;
  const go = (to: number) => {
    e.preventDefault();
    if (!ids.length) return;
    const next = Math.max(0, Math.min(ids.length - 1, to));
    ui.setPreviewIndex(next);
    selection.moveFocus(next, ids, false);
  };
  const digit = !mod && !e.altKey ? digitOf(e) : null;
  if (digit !== null) {
    e.preventDefault();
    const id = ids[index];
    if (id !== undefined) void labelling.labelWithKey([id], digit);
    return;
  }
  if (!mod && !e.altKey && e.key.toLowerCase() === 'a') {
    e.preventDefault();
    const id = ids[index];
    if (id !== undefined) void insights.accept([id]);
    return;
  }
  switch (e.key) {
    case 'ArrowRight':
    case 'ArrowDown':
      return go(index + 1);
    case 'ArrowLeft':
    case 'ArrowUp':
      return go(index - 1);
    case 'Home':
      return go(0);
    case 'End':
      return go(ids.length - 1);
    case 'Escape':
    case ' ':
    case 'Enter':
      e.preventDefault();
      ui.close('preview');
      return;
  }
}
