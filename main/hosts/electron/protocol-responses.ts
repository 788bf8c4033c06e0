import fs from 'node:fs';
import { APP_ORIGIN, IMAGE_SCHEME } from '../../../shared/bridge';
import { toErrorPayload, type GraftEngine } from '../../engine';
import { contentSecurityPolicy } from '../server/csp';
import { httpStatusFor } from '../server/http-status';
import { parseImageRoute } from '../../../shared/wire';
import { contentTypeFor, resolveStaticFile } from '../server/static-files';

/**
 * Answers to the desktop app's two custom schemes, as Fetch `Response`s (what
 * Electron's `protocol.handle` wants), written without Electron so tests can call them:
 *  - `graft://app/…`: the built renderer, with the same CSP as the web transport,
 *    which lets images come only from the page itself and `graft-image:`;
 *  - `graft-image://thumb/ID`, `graft-image://image/ID`: image bytes from the open project.
 * Nothing else is served, and nothing outside the renderer folder is readable.
 */
export const APP_CSP = contentSecurityPolicy({ img: [`${IMAGE_SCHEME}:`] });

const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff' };

export async function respondToAppRequest(rendererDir: string, requestUrl: string): Promise<Response> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return notFound();
  }
  if (`${url.protocol}//${url.host}` !== APP_ORIGIN) return notFound();
  const file = resolveStaticFile(rendererDir, url.pathname);
  if (!file) {
    if (url.pathname === '/' || url.pathname === '/index.html') {
      return new Response(`The interface is not built: run "npm run build:renderer", then reload (Ctrl+R).`, {
        status: 503,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS },
      });
    }
    return notFound();
  }
  const type = contentTypeFor(file);
  const headers: Record<string, string> = { 'Content-Type': type, ...SECURITY_HEADERS };
  if (type.startsWith('text/html')) headers['Content-Security-Policy'] = APP_CSP;
  const data = await fs.promises.readFile(file);
  return new Response(new Uint8Array(data), { status: 200, headers });
}

export async function respondToImageRequest(engine: GraftEngine | null, requestUrl: string): Promise<Response> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return notFound();
  }
  if (url.protocol !== `${IMAGE_SCHEME}:`) return notFound();
  const route = parseImageRoute(`/${url.host}${url.pathname}`);
  if (!route) return notFound();
  if ('error' in route) return new Response(route.error, { status: 400, headers: SECURITY_HEADERS });
  if (!engine) return new Response('No project is open.', { status: 409, headers: SECURITY_HEADERS });
  try {
    const image = await engine.image(route.kind, route.id);
    return new Response(new Uint8Array(image.data), {
      status: 200,
      headers: { 'Content-Type': image.contentType, 'Cache-Control': 'no-cache', ETag: `"${image.etag}"`, ...SECURITY_HEADERS },
    });
  } catch (err) {
    const error = toErrorPayload(err);
    return new Response(error.message, { status: httpStatusFor(error.code), headers: SECURITY_HEADERS });
  }
}

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: SECURITY_HEADERS });
}
