import type { MethodName, Params, Result } from 'shared/api';
import type { Envelope } from 'shared/contract';
import { CATALOGUE_AREAS, type ApiEvents, type EventName } from 'shared/events';
import { type EventFrame, imagePath, type ImageKind, ROUTES, TOKEN } from 'shared/wire';
import type { AppClient } from './client';
import { Listeners } from './emitter';
import { ApiCallError } from './errors';

/** Where this tab keeps the token once it is gone from the address bar. */
const TOKEN_STORAGE_KEY = 'graft-token';

export interface WebClientOptions {
  /** The server's origin; the page's own by default. */
  origin?: string;
  /** The access token; read from the page address (`?token=`) by default. */
  token?: string | null;
}

/**
 * The API over the loopback server: calls as `POST /api/call`, events over one
 * WebSocket that reconnects by itself. The page was opened with `?token=…`; the
 * token is kept for this tab and removed from the address bar (the server also
 * left a same-site cookie, so a reload works either way).
 */
export class WebClient implements AppClient {
  readonly transport = 'web' as const;
  readonly desktop = null;
  readonly #origin: string;
  readonly #token: string | null;
  readonly #events = new Listeners<ApiEvents>();
  readonly #connection = new Listeners<{ change: boolean }>();
  #socket: WebSocket | null = null;
  // True until the event stream is seen to fail: while the first socket is still opening
  // (seconds on a loaded machine) nothing has been lost, and the window says nothing.
  #connected = true;
  #everConnected = false;
  #attempts = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(options: WebClientOptions = {}) {
    this.#origin = options.origin ?? location.origin;
    this.#token = options.token !== undefined ? options.token : takeTokenFromPage();
  }

  get connected(): boolean {
    return this.#connected;
  }

  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#token) headers[TOKEN.header] = this.#token;
    let response: Response;
    try {
      response = await fetch(this.#origin + ROUTES.call, {
        method: 'POST',
        headers,
        body: JSON.stringify({ method, params: params ?? {} }),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch {
      throw new ApiCallError(method, {
        code: 'io',
        message: 'Lost contact with Graft. Is "graft serve" still running? Start it again and open the address it prints.',
      });
    }
    let envelope: Envelope<Result<M>>;
    try {
      envelope = (await response.json()) as Envelope<Result<M>>;
    } catch {
      throw new ApiCallError(method, { code: 'internal', message: `Graft's server answered ${response.status} without a result. Try again; if it persists, restart "graft serve".` });
    }
    if (envelope && envelope.ok === true) return envelope.value;
    if (envelope && envelope.ok === false && envelope.error) throw new ApiCallError(method, envelope.error);
    throw new ApiCallError(method, { code: 'internal', message: `Graft's server answered ${response.status} with something unexpected.` });
  }

  on<E extends EventName>(event: E, handler: (payload: ApiEvents[E]) => void): () => void {
    const off = this.#events.add(event, handler);
    this.#ensureSocket();
    return off;
  }

  onConnectionChange(handler: (connected: boolean) => void): () => void {
    const off = this.#connection.add('change', handler);
    this.#ensureSocket();
    return off;
  }

  thumbnailUrl(imageId: number): string {
    return this.#imagePath('thumb', imageId);
  }

  imageUrl(imageId: number): string {
    return this.#imagePath('image', imageId);
  }

  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#socket?.close(1000);
    this.#socket = null;
    this.#setConnected(false);
  }

  // Same-origin paths: the cookie or the token in the query authorises an <img>.
  #imagePath(kind: ImageKind, imageId: number): string {
    const path = this.#origin + imagePath(kind, imageId);
    return this.#token ? `${path}?${TOKEN.query}=${encodeURIComponent(this.#token)}` : path;
  }

  #ensureSocket(): void {
    if (this.#socket || this.#closed || this.#retryTimer) return;
    const url = new URL(ROUTES.events, this.#origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.#token) url.searchParams.set(TOKEN.query, this.#token);
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => {
      this.#attempts = 0;
      const reconnected = this.#everConnected;
      this.#everConnected = true;
      this.#setConnected(true);
      // Whatever changed while the socket was down went unannounced: views re-query.
      if (reconnected) this.#events.emit('catalogue.changed', { areas: [...CATALOGUE_AREAS] });
    };
    socket.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      let frame: Partial<EventFrame>;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (typeof frame.event === 'string') this.#events.emit(frame.event, frame.payload as never);
    };
    socket.onclose = () => {
      if (this.#socket === socket) this.#socket = null;
      this.#setConnected(false);
      if (this.#closed) return;
      // Back off from 0.5 s to 10 s: a restarting server is back within a few tries,
      // a stopped one is not hammered.
      const delay = Math.min(10_000, 500 * 2 ** this.#attempts++);
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        this.#ensureSocket();
      }, delay);
    };
    socket.onerror = () => {
      /* onclose follows and schedules the retry */
    };
  }

  #setConnected(value: boolean): void {
    if (value === this.#connected) return;
    this.#connected = value;
    this.#connection.emit('change', value);
  }
}

/**
 * The token from `?token=` (kept for this tab, so a reload without it still works),
 * removed from the address bar so it is not bookmarked or shared by accident.
 */
function takeTokenFromPage(): string | null {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get(TOKEN.query);
  if (fromUrl) {
    try {
      sessionStorage.setItem(TOKEN_STORAGE_KEY, fromUrl);
    } catch {
      /* storage disabled: the cookie still authorises this tab */
    }
    url.searchParams.delete(TOKEN.query);
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  try {
    return sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}
