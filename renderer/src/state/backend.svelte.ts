import type { MethodName, Params, Result } from 'shared/api';
import type { DesktopShell } from 'shared/bridge';
import type { ApiEvents, EventName } from 'shared/events';
import type { AppClient } from '../transport';

/**
 * The renderer's one door to the engine. Views never hold a transport of their own:
 * App attaches the client created for this window (Electron preload or loopback web
 * transport) and every state module goes through here, so tests and both transports
 * see exactly the same calls.
 */
class Backend {
  #client: AppClient | null = null;
  #connected = $state(true);

  /** Attaches the window's client; the returned function detaches it. */
  attach(client: AppClient): () => void {
    this.#client = client;
    this.#connected = client.connected;
    const off = client.onConnectionChange((connected) => {
      this.#connected = connected;
    });
    return () => {
      off();
      if (this.#client === client) this.#client = null;
    };
  }

  get client(): AppClient {
    if (!this.#client) throw new Error('Graft is not connected to its engine yet.');
    return this.#client;
  }

  /** False while the event stream is down (the server stopped or restarts). */
  get connected(): boolean {
    return this.#connected;
  }

  /** Native dialogs and drop paths in the desktop app; null in a browser. */
  get desktop(): DesktopShell | null {
    return this.#client?.desktop ?? null;
  }

  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    return this.client.call(method, params);
  }

  on<E extends EventName>(event: E, handler: (payload: ApiEvents[E]) => void): () => void {
    return this.client.on(event, handler);
  }

  thumbnailUrl(imageId: number): string {
    return this.client.thumbnailUrl(imageId);
  }

  imageUrl(imageId: number): string {
    return this.client.imageUrl(imageId);
  }
}

export const backend = new Backend();

/** A person-readable message from whatever a failed call threw. */
export function messageOf(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err && typeof (err as { message: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/** The API error code of a failed call, when the transport kept it. */
export function codeOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}
