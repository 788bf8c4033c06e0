import type { GraftBridge } from 'shared/bridge';
import type { AppClient } from './client';
import { ElectronClient } from './electron';
import { WebClient } from './web';

declare global {
  interface Window {
    /** Exposed by the desktop app's preload; absent in a browser. */
    graft?: GraftBridge;
  }
}

/**
 * The client for this window: the desktop app's preload bridge when there is one,
 * the loopback web server otherwise. The rest of the renderer never needs to know which.
 */
export function createClient(): AppClient {
  return window.graft ? new ElectronClient(window.graft) : new WebClient();
}

export type { AppClient } from './client';
export { ApiCallError } from './errors';
export { ElectronClient } from './electron';
export { WebClient } from './web';
