import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN } from '../../../shared/wire';

/**
 * The loopback server's gatekeeping, as pure functions of a request.
 *
 * Binding to 127.0.0.1 keeps other machines out, but not other programs on this one,
 * nor web pages open in the user's browser: a page on any site can make the browser
 * send requests to 127.0.0.1. Hence three checks on every request:
 *  - Host must name this server (127.0.0.1:port or localhost:port): a DNS-rebinding
 *    attack reaches us under the attacker's host name, and is refused here;
 *  - Origin / Sec-Fetch-Site, when the browser sends them, must be our own origin:
 *    another page (even another server on 127.0.0.1, which counts as "same site" for
 *    cookies) cannot drive the API;
 *  - a random per-launch token, from a header, the query string or a cookie, must match.
 */

/** A fresh per-launch secret: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenCookieName(port: number): string {
  return `${TOKEN.cookiePrefix}${port}`;
}

export type Refusal = { status: 400 | 401 | 403; message: string };

/** The host names this server answers to, with the port it listens on. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function checkHost(req: IncomingMessage, port: number): Refusal | null {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowedHosts(port).includes(host)) {
    return { status: 403, message: `This Graft server only answers to http://127.0.0.1:${port}/ (the request named host "${host.slice(0, 100)}").` };
  }
  return null;
}

/**
 * Browsers send Origin on every cross-origin request and on all POSTs and WebSocket
 * handshakes; Sec-Fetch-Site on everything. Either one naming another origin is refused.
 * Programs that are not browsers (curl, tests) send neither and are judged by the token.
 */
export function checkOrigin(req: IncomingMessage, port: number): Refusal | null {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const own = allowedHosts(port).map((h) => `http://${h}`);
    if (!own.includes(origin.toLowerCase())) {
      return { status: 403, message: `Requests from ${origin.slice(0, 200)} are not allowed: only Graft's own page may use this server.` };
    }
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, message: 'Requests from other sites are not allowed: only Graft\'s own page may use this server.' };
  }
  return null;
}

/** The token a request carries: header first, then `?token=`, then the cookie. */
export function presentedToken(req: IncomingMessage, url: URL, port: number): string | undefined {
  const header = req.headers[TOKEN.header];
  if (typeof header === 'string' && header) return header;
  const query = url.searchParams.get(TOKEN.query);
  if (query) return query;
  return parseCookies(req.headers.cookie)[tokenCookieName(port)];
}

export function checkToken(req: IncomingMessage, url: URL, port: number, token: string): Refusal | null {
  const given = presentedToken(req, url, port);
  if (!given) {
    return { status: 401, message: 'This Graft server needs its access token: open the address that "graft serve" printed (it ends in ?token=…).' };
  }
  if (!sameSecret(given, token)) {
    return { status: 403, message: 'Wrong access token: it changes every time Graft starts. Open the address that "graft serve" printed this time.' };
  }
  return null;
}

/** All three checks, in the order that gives the most useful message. */
export function checkRequest(req: IncomingMessage, url: URL, port: number, token: string): Refusal | null {
  return checkHost(req, port) ?? checkOrigin(req, port) ?? checkToken(req, url, port, token);
}

/** Constant-time comparison, so response timing reveals nothing about the token. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!name || name in out) continue;
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/** Set on the page load that carried `?token=`, so images, reloads and the event socket work without it. */
export function tokenCookie(port: number, token: string): string {
  return `${tokenCookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}
