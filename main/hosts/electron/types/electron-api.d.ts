/**
 * The part of Electron's API that Graft uses, for type-checking where the optional
 * `electron` package is not installed (CI and machines without its binary download).
 *
 * tsconfig.json maps `electron` to node_modules/electron first and to this file only
 * when that is missing, so wherever Electron is installed the desktop code is
 * checked against Electron's own, complete declarations. The signatures below are
 * copied from Electron 38's electron.d.ts (narrowed to what we call); when code here
 * needs more of the API, copy the declaration the same way.
 */

type ElectronPlatform = 'aix' | 'android' | 'darwin' | 'freebsd' | 'haiku' | 'linux' | 'openbsd' | 'sunos' | 'win32' | 'cygwin' | 'netbsd';

export interface Event {
  preventDefault(): void;
  readonly defaultPrevented: boolean;
}

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Display {
  id: number;
  bounds: Rectangle;
  workArea: Rectangle;
  scaleFactor: number;
}

// ── Main process ─────────────────────────────────────────────────────────────

export interface AboutPanelOptionsOptions {
  applicationName?: string;
  applicationVersion?: string;
  copyright?: string;
  version?: string;
  credits?: string;
  authors?: string[];
  website?: string;
  iconPath?: string;
}

export interface App {
  on(event: 'open-file', listener: (event: Event, path: string) => void): this;
  on(event: 'second-instance', listener: (event: Event, argv: string[], workingDirectory: string, additionalData: unknown) => void): this;
  on(event: 'window-all-closed', listener: () => void): this;
  on(event: 'before-quit', listener: (event: Event) => void): this;
  on(event: 'web-contents-created', listener: (event: Event, webContents: WebContents) => void): this;
  whenReady(): Promise<void>;
  isReady(): boolean;
  quit(): void;
  exit(exitCode?: number): void;
  setName(name: string): void;
  getName(): string;
  getVersion(): string;
  getAppPath(): string;
  getPath(name: 'home' | 'appData' | 'userData' | 'sessionData' | 'temp' | 'exe' | 'module' | 'desktop' | 'documents' | 'downloads' | 'music' | 'pictures' | 'videos' | 'recent' | 'logs' | 'crashDumps'): string;
  setPath(name: string, path: string): void;
  requestSingleInstanceLock(additionalData?: Record<any, any>): boolean;
  addRecentDocument(path: string): void;
  clearRecentDocuments(): void;
  setAboutPanelOptions(options: AboutPanelOptionsOptions): void;
  showAboutPanel(): void;
  readonly isPackaged: boolean;
}

export interface WebPreferences {
  devTools?: boolean;
  nodeIntegration?: boolean;
  nodeIntegrationInWorker?: boolean;
  nodeIntegrationInSubFrames?: boolean;
  preload?: string;
  sandbox?: boolean;
  session?: Session;
  partition?: string;
  webSecurity?: boolean;
  allowRunningInsecureContent?: boolean;
  images?: boolean;
  javascript?: boolean;
  experimentalFeatures?: boolean;
  enableBlinkFeatures?: string;
  disableBlinkFeatures?: string;
  contextIsolation?: boolean;
  webviewTag?: boolean;
  safeDialogs?: boolean;
  navigateOnDragDrop?: boolean;
  spellcheck?: boolean;
  backgroundThrottling?: boolean;
}

export interface BrowserWindowConstructorOptions {
  width?: number;
  height?: number;
  x?: number;
  y?: number;
  minWidth?: number;
  minHeight?: number;
  show?: boolean;
  title?: string;
  icon?: string;
  backgroundColor?: string;
  webPreferences?: WebPreferences;
}

export interface ProgressBarOptions {
  mode: 'none' | 'normal' | 'indeterminate' | 'error' | 'paused';
}

export declare class BrowserWindow {
  constructor(options?: BrowserWindowConstructorOptions);
  static getAllWindows(): BrowserWindow[];
  readonly webContents: WebContents;
  on(event: 'close', listener: (event: Event) => void): this;
  on(event: 'closed' | 'resize' | 'move' | 'ready-to-show', listener: () => void): this;
  once(event: 'ready-to-show' | 'closed', listener: () => void): this;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  close(): void;
  restore(): void;
  maximize(): void;
  isMinimized(): boolean;
  isMaximized(): boolean;
  isFullScreen(): boolean;
  setFullScreen(flag: boolean): void;
  isDestroyed(): boolean;
  getNormalBounds(): Rectangle;
  setTitle(title: string): void;
  setRepresentedFilename(filename: string): void;
  setProgressBar(progress: number, options?: ProgressBarOptions): void;
}

export interface WebFrameMain {
  readonly url: string;
  readonly origin: string;
  readonly parent: WebFrameMain | null;
}

export interface HandlerDetails {
  url: string;
  frameName: string;
  disposition: 'default' | 'foreground-tab' | 'background-tab' | 'new-window' | 'other';
}

export interface WindowOpenHandlerResponse {
  action: 'deny' | 'allow';
}

export interface WebContents {
  readonly id: number;
  readonly mainFrame: WebFrameMain;
  readonly session: Session;
  on(event: 'will-navigate' | 'will-redirect', listener: (event: Event, url: string) => void): this;
  on(event: 'will-attach-webview', listener: (event: Event, webPreferences: WebPreferences, params: Record<string, string>) => void): this;
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
  send(channel: string, ...args: any[]): void;
  reload(): void;
  getURL(): string;
}

export interface IpcMainInvokeEvent extends Event {
  readonly sender: WebContents;
  readonly senderFrame: WebFrameMain | null;
  readonly processId: number;
  readonly frameId: number;
}

export interface IpcMain {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => Promise<any> | any): void;
  removeHandler(channel: string): void;
}

type Permission = string;

export interface Session {
  setPermissionRequestHandler(
    handler: ((webContents: WebContents, permission: Permission, callback: (permissionGranted: boolean) => void, details: unknown) => void) | null,
  ): void;
  setPermissionCheckHandler(
    handler: ((webContents: WebContents | null, permission: Permission, requestingOrigin: string, details: unknown) => boolean) | null,
  ): void;
  on(event: 'will-download', listener: (event: Event, item: unknown, webContents: WebContents) => void): this;
}

export interface SessionModule {
  readonly defaultSession: Session;
}

export interface Privileges {
  standard?: boolean;
  secure?: boolean;
  bypassCSP?: boolean;
  allowServiceWorkers?: boolean;
  supportFetchAPI?: boolean;
  corsEnabled?: boolean;
  stream?: boolean;
  codeCache?: boolean;
}

export interface CustomScheme {
  scheme: string;
  privileges?: Privileges;
}

export interface Protocol {
  registerSchemesAsPrivileged(customSchemes: CustomScheme[]): void;
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
  unhandle(scheme: string): void;
}

export interface FileFilter {
  name: string;
  extensions: string[];
}

export interface OpenDialogOptions {
  title?: string;
  defaultPath?: string;
  buttonLabel?: string;
  filters?: FileFilter[];
  properties?: Array<'openFile' | 'openDirectory' | 'multiSelections' | 'showHiddenFiles' | 'createDirectory' | 'promptToCreate' | 'noResolveAliases' | 'treatPackageAsDirectory' | 'dontAddToRecent'>;
  message?: string;
}

export interface OpenDialogReturnValue {
  canceled: boolean;
  filePaths: string[];
}

export interface SaveDialogOptions {
  title?: string;
  defaultPath?: string;
  buttonLabel?: string;
  filters?: FileFilter[];
  message?: string;
  nameFieldLabel?: string;
  properties?: Array<'showHiddenFiles' | 'createDirectory' | 'treatPackageAsDirectory' | 'showOverwriteConfirmation' | 'dontAddToRecent'>;
}

export interface SaveDialogReturnValue {
  canceled: boolean;
  filePath: string;
}

export interface MessageBoxOptions {
  message: string;
  type?: 'none' | 'info' | 'error' | 'question' | 'warning';
  buttons?: string[];
  defaultId?: number;
  cancelId?: number;
  title?: string;
  detail?: string;
}

export interface MessageBoxReturnValue {
  response: number;
  checkboxChecked: boolean;
}

export interface Dialog {
  showOpenDialog(window: BrowserWindow, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showSaveDialog(window: BrowserWindow, options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  showSaveDialog(options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  showMessageBox(window: BrowserWindow, options: MessageBoxOptions): Promise<MessageBoxReturnValue>;
  showMessageBox(options: MessageBoxOptions): Promise<MessageBoxReturnValue>;
  showErrorBox(title: string, content: string): void;
}

export interface MenuItemConstructorOptions {
  click?: (menuItem: unknown, window: unknown, event: unknown) => void;
  role?:
    | 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'pasteAndMatchStyle' | 'delete' | 'selectAll' | 'reload' | 'forceReload'
    | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'toggleSpellChecker' | 'togglefullscreen' | 'window' | 'minimize'
    | 'close' | 'help' | 'about' | 'services' | 'hide' | 'hideOthers' | 'unhide' | 'quit' | 'showSubstitutions'
    | 'toggleSmartQuotes' | 'toggleSmartDashes' | 'toggleTextReplacement' | 'startSpeaking' | 'stopSpeaking' | 'zoom' | 'front'
    | 'appMenu' | 'fileMenu' | 'editMenu' | 'viewMenu' | 'shareMenu' | 'recentDocuments' | 'toggleTabBar' | 'selectNextTab'
    | 'selectPreviousTab' | 'showAllTabs' | 'mergeAllWindows' | 'clearRecentDocuments' | 'moveTabToNewWindow' | 'windowMenu';
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio' | 'header' | 'palette';
  label?: string;
  sublabel?: string;
  toolTip?: string;
  accelerator?: string;
  enabled?: boolean;
  visible?: boolean;
  checked?: boolean;
  registerAccelerator?: boolean;
  submenu?: MenuItemConstructorOptions[] | Menu;
  id?: string;
}

export declare class Menu {
  static buildFromTemplate(template: Array<MenuItemConstructorOptions>): Menu;
  static setApplicationMenu(menu: Menu | null): void;
}

export interface NativeTheme {
  readonly shouldUseDarkColors: boolean;
}

export interface Screen {
  getAllDisplays(): Display[];
  getPrimaryDisplay(): Display;
}

export interface Shell {
  showItemInFolder(fullPath: string): void;
  openExternal(url: string, options?: { activate?: boolean }): Promise<void>;
}

export declare const app: App;
export declare const dialog: Dialog;
export declare const ipcMain: IpcMain;
export declare const nativeTheme: NativeTheme;
export declare const protocol: Protocol;
export declare const screen: Screen;
export declare const session: SessionModule;
export declare const shell: Shell;

// ── Preload (sandboxed renderer) ─────────────────────────────────────────────

export interface IpcRendererEvent extends Event {
  readonly sender: IpcRenderer;
}

export interface IpcRenderer {
  invoke(channel: string, ...args: any[]): Promise<any>;
  on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): this;
  removeListener(channel: string, listener: (...args: any[]) => void): this;
}

export interface ContextBridge {
  exposeInMainWorld(apiKey: string, api: any): void;
}

/** `file` is a DOM File; the main tsconfig has no DOM library, hence its own name here. */
export interface WebUtils {
  getPathForFile(file: DomFile): string;
}
export interface DomFile {
  readonly name: string;
  readonly size: number;
}

export declare const contextBridge: ContextBridge;
export declare const ipcRenderer: IpcRenderer;
export declare const webUtils: WebUtils;

export type { ElectronPlatform };
