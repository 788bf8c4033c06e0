import type { GraftClient } from 'shared/api';
import type { DesktopShell } from 'shared/bridge';

/**
 * What the renderer gets from `createClient()`: the API contract's client, plus what
 * differs between the desktop app and a browser, so views can adapt without asking
 * which transport they run on.
 */
export interface AppClient extends GraftClient {
  readonly transport: 'electron' | 'web';
  /** Native dialogs, drop paths and menu commands in the desktop app; null in a browser. */
  readonly desktop: DesktopShell | null;
  /** False while the event stream is down (the web server stopped or restarted, or cannot be reached); true while it first opens. */
  readonly connected: boolean;
  /** Called with the new state whenever `connected` changes; returns its own cleanup. */
  onConnectionChange(handler: (connected: boolean) => void): () => void;
  /** Stops listening for events (for tests and hot reload). */
  close(): void;
}
