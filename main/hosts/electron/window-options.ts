import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { APP_ORIGIN } from '../../../shared/bridge';
import type { Bounds } from './settings';

/**
 * The desktop window's security settings, in one place and without an Electron
 * import (types only), so a test can hold them to the checklist of Electron's
 * security guide: isolated, sandboxed, no Node in the page, no remote content.
 */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
    experimentalFeatures: false,
  };
}

export interface WindowSetup {
  preload: string;
  bounds?: Bounds;
  icon?: string;
  dark: boolean;
}

export function mainWindowOptions(setup: WindowSetup): BrowserWindowConstructorOptions {
  return {
    ...(setup.bounds ?? { width: 1280, height: 800 }),
    minWidth: 800,
    minHeight: 560,
    title: 'Graft',
    // Shown on 'ready-to-show': no white flash before the first paint.
    show: false,
    backgroundColor: setup.dark ? '#1b1d21' : '#f6f7f9',
    ...(setup.icon ? { icon: setup.icon } : {}),
    webPreferences: secureWebPreferences(setup.preload),
  };
}

/** The page's own address: everything else is refused (navigation, IPC senders). */
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** Links a person may follow out of the app, opened in their browser: web pages only. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
