/**
 * What the desktop app adds to the page, and what its preload exposes as `window.graft`.
 *
 * The API itself (`call`, `on`) is the same contract as everywhere (shared/api.ts,
 * shared/events.ts); the desktop shell adds native dialogs, drag-and-drop paths and
 * menu commands. A browser on the loopback server has none of these: the renderer
 * asks `client.desktop` and falls back (a path field instead of a folder dialog).
 */
import type { MethodName, Params, Result } from './api';
import type { Envelope } from './contract';
import type { ApiEvents, EventName } from './events';

/**
 * Commands of the native menu that act on the page. The page runs the same action as
 * its own button or key for it. (Project New/Open/Recent are handled by the main
 * process, which then reloads the page on the other project.)
 *
 * On Windows and Linux the menu shows the shortcuts of undo, redo, select-all and the
 * zoom commands without capturing the keys, so the page's own key handling (the
 * same as in a browser) sees them; on macOS the menu takes the keys first and sends
 * these commands instead.
 */
export type MenuCommand =
  /** File › Import folder… was chosen and a folder picked: start importing it. */
  | { command: 'import-folder'; folder: string }
  /** File › Export…: open the export dialog. */
  | { command: 'export' }
  | { command: 'undo' }
  | { command: 'redo' }
  | { command: 'select-all' }
  | { command: 'thumbnails-larger' }
  | { command: 'thumbnails-smaller' }
  | { command: 'toggle-theme' }
  | { command: 'show-shortcuts' };

export interface FolderDialogOptions {
  title?: string;
  /** Label of the confirm button, e.g. "Import". */
  buttonLabel?: string;
}

/** Native abilities of the desktop app; `null` in a browser. */
export interface DesktopShell {
  /** 'darwin' | 'win32' | 'linux': for labelling shortcuts (⌘ or Ctrl). */
  readonly platform: string;
  /** The native folder picker; null when the user cancels. */
  pickFolder(options?: FolderDialogOptions): Promise<string | null>;
  /**
   * The path on disk of a file or folder dropped on the page (a DOM `File` from a
   * drop event's dataTransfer), or null for things that are not on disk.
   */
  pathForFile(file: unknown): string | null;
  /** Shows an image's file in the system file manager (only files of the open project). */
  showInFolder(path: string): Promise<void>;
  /** Native menu commands; returns its own cleanup. */
  onMenu(handler: (command: MenuCommand) => void): () => void;
}

/**
 * `window.graft` in the desktop app. `call` resolves to the Envelope rather than
 * throwing, because Electron's contextBridge keeps only the message of an Error; the
 * renderer's transport unwraps it into a typed error.
 */
export interface GraftBridge extends DesktopShell {
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Envelope<Result<M>>>;
  on<E extends EventName>(event: E, handler: (payload: ApiEvents[E]) => void): () => void;
}

/** The IPC channel names the preload and the main process agree on. */
export const IPC = {
  call: 'graft:call',
  event: 'graft:event',
  menu: 'graft:menu',
  pickFolder: 'graft:pick-folder',
  showInFolder: 'graft:show-in-folder',
} as const;

/** The custom schemes of the desktop app: the page itself and image bytes. */
export const APP_SCHEME = 'graft';
export const APP_ORIGIN = 'graft://app';
export const IMAGE_SCHEME = 'graft-image';
