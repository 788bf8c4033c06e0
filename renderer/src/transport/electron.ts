import type { MethodName, Params, Result } from 'shared/api';
import type { DesktopShell, GraftBridge } from 'shared/bridge';
import { IMAGE_SCHEME } from 'shared/bridge';
import { imagePath, type ImageKind } from 'shared/wire';
import type { ApiEvents, EventName } from 'shared/events';
import type { AppClient } from './client';
import { ApiCallError } from './errors';

/**
 * The API through the desktop app's preload (`window.graft`): calls and events over
 * Electron IPC, images from the `graft-image:` protocol that the main process serves
 * from the open project.
 */
export class ElectronClient implements AppClient {
  readonly transport = 'electron' as const;
  /** IPC does not drop: the main process lives as long as the window. */
  readonly connected = true;
  readonly desktop: DesktopShell;
  readonly #bridge: GraftBridge;

  constructor(bridge: GraftBridge) {
    this.#bridge = bridge;
    this.desktop = {
      platform: bridge.platform,
      pickFolder: (options) => bridge.pickFolder(options),
      pathForFile: (file) => bridge.pathForFile(file),
      showInFolder: (path) => bridge.showInFolder(path),
      onMenu: (handler) => bridge.onMenu(handler),
    };
  }

  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    let envelope;
    try {
      envelope = await this.#bridge.call(method, params ?? ({} as Params<M>));
    } catch (err) {
      // Only a failure of IPC itself lands here; the engine's errors come as envelopes.
      throw new ApiCallError(method, { code: 'internal', message: err instanceof Error ? err.message : String(err) });
    }
    if (envelope.ok) return envelope.value;
    throw new ApiCallError(method, envelope.error);
  }

  on<E extends EventName>(event: E, handler: (payload: ApiEvents[E]) => void): () => void {
    return this.#bridge.on(event, handler);
  }

  onConnectionChange(_handler: (connected: boolean) => void): () => void {
    return () => {};
  }

  thumbnailUrl(imageId: number): string {
    return imageSchemeUrl('thumb', imageId);
  }

  imageUrl(imageId: number): string {
    return imageSchemeUrl('image', imageId);
  }

  close(): void {
    /* listeners are removed by their own cleanups; IPC needs no closing */
  }
}

/** `graft-image://thumb/12`: the route's path after the scheme (its first part is the URL's host). */
function imageSchemeUrl(kind: ImageKind, imageId: number): string {
  return `${IMAGE_SCHEME}:/${imagePath(kind, imageId)}`;
}
