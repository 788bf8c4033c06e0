import fs from 'node:fs';
import path from 'node:path';
import type { BrowserWindow as BrowserWindowType, IpcMainInvokeEvent, WebContents } from 'electron';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, protocol, screen, session, shell } from 'electron';
import { z } from 'zod';
import { APP_SCHEME, IMAGE_SCHEME, IPC } from '../../../shared/bridge';
import type { MenuCommand } from '../../../shared/bridge';
import type { Envelope } from '../../../shared/contract';
import { GraftError, openEngine, type GraftEngine } from '../../engine';
import { defaultProjectPath } from '../app-paths';
import { buildMenuTemplate } from './menu';
import { respondToAppRequest, respondToImageRequest } from './protocol-responses';
import { SettingsStore, visibleBounds } from './settings';
import { APP_ENTRY, isAppUrl, isExternalLink, mainWindowOptions } from './window-options';

export interface DesktopPaths {
  rendererDir: string;
  preload: string;
  icon?: string;
  settingsFile: string;
}

/** Arguments of the IPC channels other than `call` (whose params the API contract checks). */
const folderDialogOptions = z
  .object({ title: z.string().max(200).optional(), buttonLabel: z.string().max(50).optional() })
  .strict()
  .optional();
const filePath = z.string().min(1).max(4096);

const PROJECT_FILTERS = [{ name: 'Graft project', extensions: ['graft'] }];

/**
 * The desktop app: one window, one open project (an Engine in this process), the
 * native menu and dialogs, and the IPC that carries the API contract to the page.
 *
 * The engine's SQLite queries are short; the long work (decoding images, computing
 * codes, training) runs in worker threads and async native code started by the
 * engine's jobs, so this process stays free to answer the window. Progress and
 * results reach the page as the same typed events a browser gets.
 */
export class DesktopApp {
  #engine: GraftEngine | null = null;
  #offEngine: (() => void) | null = null;
  #window: BrowserWindowType | null = null;
  readonly #settings: SettingsStore;
  #ipcRegistered = false;
  #saveBoundsTimer: NodeJS.Timeout | null = null;
  #quitting = false;

  constructor(private readonly paths: DesktopPaths) {
    this.#settings = new SettingsStore(paths.settingsFile);
  }

  /** Called once the app is ready: opens the project, then the window. */
  async start(requestedProject: string | undefined): Promise<void> {
    this.#hardenSessions();
    this.#registerProtocols();
    this.#registerIpc();
    await this.#openFirstProject(requestedProject);
    this.#createWindow();
    this.#updateMenu();
  }

  get window(): BrowserWindowType | null {
    return this.#window;
  }

  /** Opens another project in this window (menu, recent list, a second launch, macOS "open file"). */
  async switchProject(file: string): Promise<void> {
    const abs = path.resolve(file);
    if (this.#engine && this.#engine.projectPath === abs) return this.focus();
    if (!(await this.#confirmStopJobs('open another project'))) return;
    const previous = this.#engine;
    try {
      await this.#openEngine(abs);
    } catch (err) {
      this.#showError('Graft could not open that project', err);
      // Leave the project that was open as it was (not closed yet).
      return;
    }
    await previous?.close();
    this.#window?.webContents.reload();
    this.focus();
  }

  focus(): void {
    const win = this.#window;
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  /** Cancels running work and closes the catalogue; called on quit. */
  async shutdown(): Promise<void> {
    this.#offEngine?.();
    this.#offEngine = null;
    const engine = this.#engine;
    this.#engine = null;
    await engine?.close();
  }

  // ── Project ───────────────────────────────────────────────────────────────

  async #openFirstProject(requested: string | undefined): Promise<void> {
    const candidates = [requested, this.#settings.recentProjects()[0], defaultProjectPath()].filter((f): f is string => !!f);
    for (const file of candidates) {
      try {
        await this.#openEngine(path.resolve(file));
        return;
      } catch (err) {
        this.#showError(`Graft could not open ${file}`, err);
      }
    }
    throw new GraftError('io', 'Graft could not open or create any project. Check that your home folder is writable.');
  }

  /** Opens the engine on `file` and makes it the current one (the previous one stays open for the caller to close). */
  async #openEngine(file: string): Promise<void> {
    const engine = openEngine(file, { modelsDir: process.env.GRAFT_MODELS_DIR });
    // The engine opens its file on first use: open it now, so a damaged or unreadable
    // project is refused here, while the previous one is still open.
    try {
      await engine.call('project.status', {});
    } catch (err) {
      await engine.close();
      throw err;
    }
    this.#offEngine?.();
    this.#engine = engine;
    this.#offEngine = this.#forwardEvents(engine);
    this.#settings.addRecentProject(file);
    app.addRecentDocument(file);
    this.#updateTitle();
    this.#updateMenu();
  }

  async #newProject(): Promise<void> {
    const win = this.#window;
    const options = {
      title: 'New Project',
      buttonLabel: 'Create',
      defaultPath: path.join(app.getPath('documents'), 'Untitled.graft'),
      filters: PROJECT_FILTERS,
      properties: ['createDirectory' as const, 'showOverwriteConfirmation' as const],
    };
    const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    if (result.canceled || !result.filePath) return;
    const file = /\.graft$/i.test(result.filePath) ? result.filePath : `${result.filePath}.graft`;
    if (fs.existsSync(file)) {
      // Never overwrite a project: its labels are somebody's work.
      await this.#message('warning', 'That project already exists', `${file} already exists. Open it with File › Open Project, or choose another name.`);
      return;
    }
    await this.switchProject(file);
  }

  async #openProjectDialog(): Promise<void> {
    const win = this.#window;
    const options = { title: 'Open Project', filters: PROJECT_FILTERS, properties: ['openFile' as const] };
    const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    if (result.canceled || !result.filePaths[0]) return;
    await this.switchProject(result.filePaths[0]);
  }

  async #importFolder(): Promise<void> {
    const folder = await this.#pickFolder({ title: 'Import Folder', buttonLabel: 'Import' });
    if (folder) this.#sendMenu({ command: 'import-folder', folder });
  }

  async #pickFolder(options: { title?: string; buttonLabel?: string } = {}): Promise<string | null> {
    const win = this.#window;
    const dialogOptions = { title: options.title ?? 'Choose a Folder', buttonLabel: options.buttonLabel, properties: ['openDirectory' as const] };
    const result = win ? await dialog.showOpenDialog(win, dialogOptions) : await dialog.showOpenDialog(dialogOptions);
    return result.canceled || !result.filePaths[0] ? null : result.filePaths[0];
  }

  async #confirmStopJobs(what: string): Promise<boolean> {
    if (!this.#engine?.hasRunningJobs()) return true;
    const options = {
      type: 'question' as const,
      buttons: ['Stop and Continue', 'Keep Working'],
      defaultId: 1,
      cancelId: 1,
      message: `Graft is still working. Stop it to ${what}?`,
      detail: 'What is finished so far is kept; the rest can be run again later.',
    };
    const win = this.#window;
    const { response } = win ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
    return response === 0;
  }

  // ── Window ────────────────────────────────────────────────────────────────

  #createWindow(): void {
    const saved = this.#settings.settings.window;
    const bounds = visibleBounds(saved, screen.getAllDisplays().map((d) => d.workArea));
    const win = new BrowserWindow(
      mainWindowOptions({ preload: this.paths.preload, bounds, icon: this.paths.icon, dark: nativeTheme.shouldUseDarkColors }),
    );
    this.#window = win;
    if (bounds && saved?.maximized) win.maximize();
    if (bounds && saved?.fullScreen) win.setFullScreen(true);
    win.once('ready-to-show', () => win.show());
    win.on('resize', () => this.#saveBoundsSoon());
    win.on('move', () => this.#saveBoundsSoon());
    win.on('close', (event) => {
      this.#saveBounds();
      if (this.#quitting || !this.#engine?.hasRunningJobs()) return;
      // Ask before cancelling an import or a training run by closing the window.
      event.preventDefault();
      void this.#confirmStopJobs('quit').then((ok) => {
        if (!ok) return;
        this.#quitting = true;
        win.close();
      });
    });
    win.on('closed', () => {
      if (this.#window === win) this.#window = null;
    });
    this.#updateTitle();
    void win.loadURL(APP_ENTRY);
  }

  #saveBoundsSoon(): void {
    if (this.#saveBoundsTimer) clearTimeout(this.#saveBoundsTimer);
    this.#saveBoundsTimer = setTimeout(() => this.#saveBounds(), 1000);
  }

  #saveBounds(): void {
    if (this.#saveBoundsTimer) clearTimeout(this.#saveBoundsTimer);
    this.#saveBoundsTimer = null;
    const win = this.#window;
    if (!win || win.isDestroyed() || win.isMinimized()) return;
    const b = win.getNormalBounds();
    try {
      this.#settings.setWindowState({
        x: Math.round(b.x),
        y: Math.round(b.y),
        width: Math.round(b.width),
        height: Math.round(b.height),
        maximized: win.isMaximized(),
        fullScreen: win.isFullScreen(),
      });
    } catch {
      /* an unwritable settings file costs the window's place, nothing more */
    }
  }

  #updateTitle(): void {
    const win = this.#window;
    const engine = this.#engine;
    if (!win || !engine) return;
    const file = engine.projectPath ?? '';
    win.setTitle(`${path.basename(file).replace(/\.graft$/i, '')} — Graft`);
    if (process.platform === 'darwin') win.setRepresentedFilename(file);
  }

  #updateMenu(): void {
    const template = buildMenuTemplate(
      { platform: process.platform, recentProjects: this.#settings.recentProjects(), developer: !app.isPackaged },
      {
        newProject: () => void this.#newProject(),
        openProject: () => void this.#openProjectDialog(),
        openRecent: (file) => void this.switchProject(file),
        clearRecent: () => {
          this.#settings.clearRecentProjects();
          app.clearRecentDocuments();
          this.#updateMenu();
        },
        importFolder: () => void this.#importFolder(),
        showProjectInFolder: () => {
          if (this.#engine?.projectPath) shell.showItemInFolder(this.#engine.projectPath);
        },
        send: (command) => this.#sendMenu(command),
        about: () => app.showAboutPanel(),
      },
    );
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  }

  #sendMenu(command: MenuCommand): void {
    const win = this.#window;
    if (win && !win.isDestroyed()) win.webContents.send(IPC.menu, command);
  }

  // ── Events, IPC, protocols ───────────────────────────────────────────────

  #forwardEvents(engine: GraftEngine): () => void {
    const offAll = engine.onAny((name, payload) => {
      const win = this.#window;
      if (win && !win.isDestroyed()) win.webContents.send(IPC.event, name, payload);
    });
    // The taskbar / dock shows the progress of long work even when the window is hidden.
    const offProgress = engine.on('job.progress', (p) => {
      if (p.total > 0) this.#window?.setProgressBar(Math.min(1, p.done / p.total));
    });
    const offFinished = engine.on('job.finished', () => {
      if (!engine.hasRunningJobs()) this.#window?.setProgressBar(-1);
    });
    return () => {
      offAll();
      offProgress();
      offFinished();
    };
  }

  /** Only our own page, in our own window's top frame, may use the API. */
  #trusted(event: IpcMainInvokeEvent): boolean {
    const win = this.#window;
    const frame = event.senderFrame;
    // (Frames are compared by position, not object identity: a frame's wrapper may be recreated.)
    return !!win && !win.isDestroyed() && event.sender === win.webContents && !!frame && frame.parent === null && isAppUrl(frame.url);
  }

  #registerIpc(): void {
    // Registered once: a second registration would mean two windows' worth of
    // handlers racing for the same channel.
    if (this.#ipcRegistered) throw new Error('IPC handlers are already registered');
    this.#ipcRegistered = true;
    const untrusted: Envelope<never> = { ok: false, error: { code: 'invalid_params', message: 'Refused: this page may not use Graft.' } };

    ipcMain.handle(IPC.call, async (event, method: unknown, params: unknown) => {
      if (!this.#trusted(event)) return untrusted;
      const engine = this.#engine;
      if (!engine) return { ok: false, error: { code: 'no_project', message: 'No project is open. Open or create one from the File menu.' } };
      // dispatch() checks the method name and validates params against the contract.
      return engine.dispatch(method, params);
    });

    ipcMain.handle(IPC.pickFolder, async (event, options: unknown) => {
      if (!this.#trusted(event)) throw new Error(untrusted.error.message);
      const parsed = folderDialogOptions.safeParse(options);
      if (!parsed.success) throw new Error('Invalid options for the folder dialog.');
      return this.#pickFolder(parsed.data ?? {});
    });

    ipcMain.handle(IPC.showInFolder, async (event, file: unknown) => {
      if (!this.#trusted(event)) throw new Error(untrusted.error.message);
      const parsed = filePath.safeParse(file);
      if (!parsed.success || !path.isAbsolute(parsed.data)) throw new Error('Expected the absolute path of an image file.');
      // Only files the open project knows: the page cannot probe the disk through this.
      const known = await this.#engine?.call('images.resolve', { paths: [parsed.data] }).catch(() => null);
      if (!known?.imageIds.length || known.unknown.length) throw new Error('That file is not part of the open project.');
      if (!fs.existsSync(parsed.data) || !fs.statSync(parsed.data).isFile()) throw new Error(`${parsed.data} is no longer on disk.`);
      shell.showItemInFolder(parsed.data);
    });
  }

  #registerProtocols(): void {
    protocol.handle(APP_SCHEME, (request) => respondToAppRequest(this.paths.rendererDir, request.url));
    protocol.handle(IMAGE_SCHEME, (request) => respondToImageRequest(this.#engine, request.url));
  }

  /**
   * No permissions (camera, notifications, location, …) except writing text to the
   * clipboard ("Copy path"); no downloads, no webviews, no navigation away.
   */
  #hardenSessions(): void {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_contents, permission, callback) => callback(permission === 'clipboard-sanitized-write'));
    ses.setPermissionCheckHandler((_contents, permission) => permission === 'clipboard-sanitized-write');
    ses.on('will-download', (event) => event.preventDefault());
    app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  }

  // ── Messages ──────────────────────────────────────────────────────────────

  #showError(title: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    void this.#message('error', title, message);
  }

  async #message(type: 'error' | 'warning' | 'info', title: string, detail: string): Promise<void> {
    const win = this.#window;
    const options = { type, message: title, detail, buttons: ['OK'] };
    if (win) await dialog.showMessageBox(win, options);
    else if (app.isReady()) await dialog.showMessageBox(options);
    else dialog.showErrorBox(title, detail);
  }
}

/** Every web contents (the window, devtools, anything a bug might create) is held to the same rules. */
function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to web pages (documentation, licences) open in the person's browser.
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}
