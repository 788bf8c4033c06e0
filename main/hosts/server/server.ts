import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Envelope } from '../../../shared/contract';
import { GraftError, toErrorPayload, type GraftEngine } from '../../engine';
import { type ImageKind, parseImageRoute, ROUTES, TOKEN } from '../../../shared/wire';
import { contentSecurityPolicy } from './csp';
import { EventSocket } from './event-socket';
import { httpStatusFor } from './http-status';
import type { Refusal } from './security';
import { allowedHosts, checkRequest, newToken, tokenCookie } from './security';
import { contentTypeFor, notBuiltPage, resolveStaticFile } from './static-files';

export interface ServerOptions {
  /** 0 or absent: any free port. */
  port?: number;
  /** Only loopback: the type leaves no other choice. */
  host?: '127.0.0.1';
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** For tests; a fresh random token otherwise. */
  token?: string;
  /** Largest accepted request body (default 8 MiB: 100,000 image ids fit easily). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  /** The address to open, token included. */
  url: string;
  /** The same address without the token. */
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the renderer, the API and its events to a browser on this machine only.
 * Every request must name our host, come from our own origin (when a browser says
 * where it comes from) and carry the per-launch token; refused requests never reach
 * the engine, and calls go through the same `dispatch` (and its parameter checks)
 * as Electron's IPC.
 */
export async function startServer(engine: GraftEngine, options: ServerOptions): Promise<RunningServer> {
  const token = options.token ?? newToken();
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const staticDir = path.resolve(options.staticDir);
  const events = new EventSocket(engine);
  let port = 0;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendEnvelope(res, 500, { ok: false, error: toErrorPayload(err) });
      else res.destroy();
    });
  });
  // Slow or stuck clients cannot hold the server: it is one user's tool, not a CDN.
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = 5_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    setCommonHeaders(res);
    const url = parseUrl(req);
    if (!url) return refuse(res, { status: 400, message: 'Malformed request address.' });
    const refusal = checkRequest(req, url, port, token);
    const isCall = url.pathname === ROUTES.call;
    if (refusal) {
      if (!isCall && req.method === 'GET' && acceptsHtml(req)) return sendHtml(res, refusal.status, refusalPage(refusal));
      return refuse(res, refusal);
    }
    if (isCall) {
      if (req.method !== 'POST') return refuse(res, { status: 405, message: 'Use POST for API calls.' }, { Allow: 'POST' });
      return handleCall(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return refuse(res, { status: 405, message: 'Only GET and HEAD are served here.' }, { Allow: 'GET, HEAD' });
    }
    const image = parseImageRoute(url.pathname);
    if (image) {
      if ('error' in image) return refuse(res, { status: 400, message: image.error });
      return handleImage(req, res, image.kind, image.id);
    }
    if (url.pathname.startsWith(ROUTES.apiPrefix)) return refuse(res, { status: 404, message: `No such API route: ${url.pathname}` });
    return handleStatic(req, res, url);
  }

  async function handleCall(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // A JSON body forces browsers into a CORS preflight for cross-origin requests,
    // which nothing here answers: a second wall behind the Origin check.
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      return sendEnvelope(res, 415, invalid('API calls must be sent as JSON (Content-Type: application/json).'));
    }
    let body: string;
    try {
      body = await readBody(req, maxBody);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader('Connection', 'close');
        return sendEnvelope(res, 413, invalid(`The request is larger than ${Math.round(maxBody / 1024 / 1024)} MiB.`));
      }
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return sendEnvelope(res, 400, invalid('The request body is not valid JSON.'));
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || typeof (parsed as { method?: unknown }).method !== 'string') {
      return sendEnvelope(res, 400, invalid('Expected a JSON object {"method": "…", "params": {…}}.'));
    }
    const { method, params } = parsed as { method: string; params?: unknown };
    const envelope = await engine.dispatch(method, params === undefined ? {} : params);
    sendEnvelope(res, envelope.ok ? 200 : httpStatusFor(envelope.error.code), envelope);
  }

  async function handleImage(req: http.IncomingMessage, res: http.ServerResponse, kind: ImageKind, id: number): Promise<void> {
    let image;
    try {
      // The ETag needs no decoding: a browser revalidating a cached preview costs one query.
      const etag = `"${engine.imageEtag(kind, id)}"`;
      // Revalidate every time (a 304 costs one indexed query): an id removed and later
      // reused by SQLite must never show the old picture.
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'private, no-cache');
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304).end();
        return;
      }
      image = await engine.image(kind, id);
    } catch (err) {
      const error = toErrorPayload(err);
      res.removeHeader('ETag');
      res.setHeader('Cache-Control', 'no-store');
      return refuse(res, { status: httpStatusFor(error.code), message: error.message });
    }
    res.writeHead(200, { 'Content-Type': image.contentType, 'Content-Length': image.data.length });
    res.end(req.method === 'HEAD' ? undefined : image.data);
  }

  async function handleStatic(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const file = resolveStaticFile(staticDir, url.pathname);
    const isPage = url.pathname === '/' || url.pathname === '/index.html';
    // The page load that carries ?token= leaves a cookie, so reloads, images and the
    // event socket work after the renderer removes the token from the address bar.
    if (isPage && url.searchParams.has(TOKEN.query)) res.setHeader('Set-Cookie', tokenCookie(port, token));
    if (!file) {
      if (isPage) return sendHtml(res, 503, notBuiltPage(staticDir));
      return refuse(res, { status: 404, message: `Not found: ${url.pathname}` });
    }
    const type = contentTypeFor(file);
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': type };
    if (type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = contentSecurityPolicy({ connect: eventSocketOrigins(port) });
      headers['Cache-Control'] = 'no-store';
    } else {
      // Vite names bundles by content hash; anything else is small.
      headers['Cache-Control'] = /[.-][A-Za-z0-9_-]{8,}\.(js|css|woff2?|svg|png)$/.test(file) ? 'private, max-age=31536000, immutable' : 'no-cache';
    }
    const stat = await fs.promises.stat(file);
    headers['Content-Length'] = stat.size;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return void res.end();
    fs.createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = parseUrl(req);
    let refusal: Refusal | null = url ? checkRequest(req, url, port, token) : { status: 400, message: 'Malformed request address.' };
    if (!refusal && url!.pathname !== ROUTES.events) refusal = { status: 400, message: `No socket at ${url!.pathname}` } as Refusal;
    // Browsers always send Origin on a WebSocket handshake; a handshake without one
    // comes from a program, which the token check above has already vetted.
    if (refusal) {
      const body = JSON.stringify({ ok: false, error: { code: 'invalid_params', message: refusal.message } });
      socket.end(
        `HTTP/1.1 ${refusal.status} ${http.STATUS_CODES[refusal.status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    events.wss.handleUpgrade(req, socket, head, (ws) => events.wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      events.close();
      if (err.code === 'EADDRINUSE') {
        reject(new GraftError('busy', `Port ${options.port} is already in use. Choose another with --port, or leave --port out to use any free port.`));
      } else if (err.code === 'EACCES') {
        reject(new GraftError('io', `Not allowed to listen on port ${options.port}. Choose a port above 1023 with --port.`));
      } else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port: options.port ?? 0, host: '127.0.0.1', exclusive: true });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/?${TOKEN.query}=${token}`,
    origin,
    token,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        events.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

function parseUrl(req: http.IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

function eventSocketOrigins(port: number): string[] {
  return allowedHosts(port).map((h) => `ws://${h}`);
}

function setCommonHeaders(res: http.ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  // Other pages cannot even embed our images (the cookie would go along: same site).
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

function invalid(message: string): Envelope<never> {
  return { ok: false, error: { code: 'invalid_params', message } };
}

function sendEnvelope(res: http.ServerResponse, status: number, envelope: Envelope<unknown>): void {
  const body = JSON.stringify(envelope);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function refuse(res: http.ServerResponse, refusal: { status: number; message: string }, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  const code = refusal.status === 404 ? 'not_found' : refusal.status >= 500 ? 'internal' : 'invalid_params';
  sendEnvelope(res, refusal.status, { ok: false, error: { code, message: refusal.message } });
}

function acceptsHtml(req: http.IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

function sendHtml(res: http.ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Content-Security-Policy': contentSecurityPolicy(),
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

function refusalPage(refusal: Refusal): string {
  return `<!doctype html><meta charset="utf-8"><title>Graft</title>
<body style="font:16px system-ui;margin:3em;max-width:40em"><h1>Graft</h1><p>${refusal.message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}</p>`;
}

class BodyTooLarge extends Error {}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return reject(new BodyTooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
