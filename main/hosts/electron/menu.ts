import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../../shared/bridge';

/** What the menu can do; the desktop app supplies these. */
export interface MenuActions {
  newProject(): void;
  openProject(): void;
  openRecent(file: string): void;
  clearRecent(): void;
  importFolder(): void;
  showProjectInFolder(): void;
  /** A command the page carries out (the same as its own button or key). */
  send(command: MenuCommand): void;
  about(): void;
}

export interface MenuState {
  platform: NodeJS.Platform;
  recentProjects: string[];
  /** Developer tools only in a checkout, not in the packaged app. */
  developer: boolean;
}

/**
 * The application menu as a plain template (no Electron import, so a test can read it).
 *
 * Shortcuts that the page also handles itself (undo, redo, select all, thumbnail
 * size, help) are shown in the menu but, on Windows and Linux, not captured by it
 * (`registerAccelerator: false`): the keys reach the page, which treats them the
 * same in Electron and in a browser, and a text field keeps its own undo. macOS
 * always gives menu shortcuts first pick, so there the menu sends the command.
 */
export function buildMenuTemplate(state: MenuState, actions: MenuActions): MenuItemConstructorOptions[] {
  const mac = state.platform === 'darwin';
  const pageKey = (accelerator: string) => ({ accelerator, registerAccelerator: mac });

  const recent: MenuItemConstructorOptions[] = state.recentProjects.length
    ? [
        ...state.recentProjects.map((file) => ({
          label: recentLabel(file),
          toolTip: file,
          click: () => actions.openRecent(file),
        })),
        { type: 'separator' as const },
        { label: 'Clear Recent Projects', click: () => actions.clearRecent() },
      ]
    : [{ label: 'No Recent Projects', enabled: false }];

  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: () => actions.newProject() },
      { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => actions.openProject() },
      { label: 'Open Recent', submenu: recent },
      { type: 'separator' },
      { label: 'Import Folder…', accelerator: 'CmdOrCtrl+I', click: () => actions.importFolder() },
      { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => actions.send({ command: 'export' }) },
      { type: 'separator' },
      { label: mac ? 'Reveal Project in Finder' : 'Show Project in Folder', click: () => actions.showProjectInFolder() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit', label: 'E&xit' },
    ],
  };

  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      { label: 'Undo', ...pageKey('CmdOrCtrl+Z'), click: () => actions.send({ command: 'undo' }) },
      { label: 'Redo', ...pageKey(mac ? 'Shift+Cmd+Z' : 'Ctrl+Shift+Z'), click: () => actions.send({ command: 'redo' }) },
      { type: 'separator' },
      // Text fields (class names, search) need the clipboard; these act on the focused field.
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { type: 'separator' },
      { label: 'Select All', ...pageKey('CmdOrCtrl+A'), click: () => actions.send({ command: 'select-all' }) },
    ],
  };

  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      { label: 'Larger Thumbnails', ...pageKey('CmdOrCtrl+='), click: () => actions.send({ command: 'thumbnails-larger' }) },
      { label: 'Smaller Thumbnails', ...pageKey('CmdOrCtrl+-'), click: () => actions.send({ command: 'thumbnails-smaller' }) },
      { type: 'separator' },
      { label: 'Toggle Dark Theme', click: () => actions.send({ command: 'toggle-theme' }) },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(state.developer
        ? ([{ type: 'separator' }, { role: 'reload' }, { role: 'toggleDevTools' }] as MenuItemConstructorOptions[])
        : []),
    ],
  };

  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [
      { label: 'Keyboard Shortcuts', ...pageKey('?'), click: () => actions.send({ command: 'show-shortcuts' }) },
      ...(mac ? [] : ([{ type: 'separator' }, { label: 'About Graft', click: () => actions.about() }] as MenuItemConstructorOptions[])),
    ],
  };

  return [
    ...(mac
      ? ([
          {
            label: 'Graft',
            submenu: [
              { label: 'About Graft', click: () => actions.about() },
              { type: 'separator' },
              { role: 'services' },
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { role: 'unhide' },
              { type: 'separator' },
              { role: 'quit' },
            ],
          },
        ] as MenuItemConstructorOptions[])
      : []),
    file,
    edit,
    view,
    { role: 'windowMenu' },
    help,
  ];
}

/** "flowers — ~/Pictures" style: the name first, where it lives second. */
export function recentLabel(file: string): string {
  const name = path.basename(file).replace(/\.graft$/i, '');
  const dir = path.dirname(file);
  const home = process.env.HOME || process.env.USERPROFILE;
  const shown = home && dir.startsWith(home) ? `~${dir.slice(home.length)}` : dir;
  // An ampersand would be read as a mnemonic marker on Windows and Linux.
  return `${name} — ${shown}`.replace(/&/g, '&&');
}
