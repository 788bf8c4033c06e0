/**
 * The desktop window's preload: exposes `window.graft` (the `GraftBridge` of
 * shared/bridge.ts) and nothing else. The page never sees `ipcRenderer`, Node or
 * Electron; it gets named functions whose every argument the main process checks
 * again (method names and params against the API contract in `dispatch()`).
 *
 * It runs sandboxed, where `require` knows only 'electron' and a few Node built-ins:
 * hence no runtime import of our own modules here. Types come from shared/ (erased
 * at compile time) and the channel names are checked against shared/bridge.ts by
 * the compiler through `satisfies`. A test holds the compiled file to that.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { MethodName, Params } from '../../../shared/api';
import type { FolderDialogOptions, GraftBridge, IPC as IpcChannels, MenuCommand } from '../../../shared/bridge';
import type { EventName } from '../../../shared/events';

const IPC = {
  call: 'graft:call',
  event: 'graft:event',
  menu: 'graft:menu',
  pickFolder: 'graft:pick-folder',
  showInFolder: 'graft:show-in-folder',
} as const satisfies typeof IpcChannels;

type Handler = (payload: unknown) => void;

// One IPC listener per channel, fanned out here: the page can subscribe and
// unsubscribe freely without ever holding an IPC listener of its own.
const eventHandlers = new Map<string, Set<Handler>>();
const menuHandlers = new Set<(command: MenuCommand) => void>();

ipcRenderer.on(IPC.event, (_event, name: unknown, payload: unknown) => {
  if (typeof name !== 'string') return;
  for (const handler of [...(eventHandlers.get(name) ?? [])]) safely(() => handler(payload));
});
ipcRenderer.on(IPC.menu, (_event, command: MenuCommand) => {
  for (const handler of [...menuHandlers]) safely(() => handler(command));
});

function safely(run: () => void): void {
  try {
    run();
  } catch (err) {
    console.error('A Graft event listener failed:', err);
  }
}

const bridge: GraftBridge = {
  platform: process.platform,

  call: (method: MethodName, params: Params<MethodName>) => ipcRenderer.invoke(IPC.call, method, params),

  on: (event: EventName, handler: (payload: never) => void) => {
    if (typeof handler !== 'function') throw new TypeError('graft.on needs a function');
    let set = eventHandlers.get(event);
    if (!set) eventHandlers.set(event, (set = new Set()));
    set.add(handler as Handler);
    return () => {
      set.delete(handler as Handler);
    };
  },

  onMenu: (handler) => {
    if (typeof handler !== 'function') throw new TypeError('graft.onMenu needs a function');
    menuHandlers.add(handler);
    return () => {
      menuHandlers.delete(handler);
    };
  },

  pickFolder: (options?: FolderDialogOptions) =>
    ipcRenderer.invoke(IPC.pickFolder, {
      title: typeof options?.title === 'string' ? options.title : undefined,
      buttonLabel: typeof options?.buttonLabel === 'string' ? options.buttonLabel : undefined,
    }),

  pathForFile: (file: unknown) => {
    // Since Electron 32, a dropped File no longer carries .path: webUtils gives it,
    // and an empty string for things that are not on disk.
    try {
      const path = webUtils.getPathForFile(file as Parameters<typeof webUtils.getPathForFile>[0]);
      return path || null;
    } catch {
      return null;
    }
  },

  showInFolder: (path: string) => ipcRenderer.invoke(IPC.showInFolder, path),
};

contextBridge.exposeInMainWorld('graft', bridge);
