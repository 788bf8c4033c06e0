/**
 * The loopback server's side of the wire, as the web transport sees it: routes, where
 * the access token may travel, and what one event frame is. The server
 * (main/hosts/server) and the web transport (renderer/src/transport/web.ts) both import
 * these, so neither can rename a route or header alone.
 */
import type { ApiEvents, EventName } from './events';

export const ROUTES = {
  /** POST `{method, params}` as JSON; the answer is an Envelope. */
  call: '/api/call',
  /** The WebSocket of engine events: one EventFrame per text message, server to page only. */
  events: '/api/events',
  /** Every API route starts with this: an unknown one is a 404, never the page. */
  apiPrefix: '/api/',
} as const;

/**
 * The per-launch access token travels in a header (API calls), in the query (the address
 * `graft serve` prints, the event socket, images) or in a cookie the page load leaves.
 */
export const TOKEN = {
  header: 'x-graft-token',
  query: 'token',
  /** Cookies are not port-scoped, so the name carries the port: two servers never share one. */
  cookiePrefix: 'graft-token-',
} as const;

/** What the event socket sends: one JSON text frame per engine event. */
export interface EventFrame<E extends EventName = EventName> {
  event: E;
  payload: ApiEvents[E];
}

/**
 * The image routes: `/thumb/:id` (the stored thumbnail) and `/image/:id` (the large
 * preview), on the loopback server and, as `graft-image://thumb/:id`, in the desktop app.
 */
export const IMAGE_KINDS = ['thumb', 'image'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

export function imagePath(kind: ImageKind, id: number): string {
  return `/${kind}/${Math.trunc(id)}`;
}

const IMAGE_ROUTE = new RegExp(`^/(${IMAGE_KINDS.join('|')})/([^/]*)/?$`);

/** `{kind, id}` for an image path, `{error}` for a malformed id, null for other paths. */
export function parseImageRoute(pathname: string): { kind: ImageKind; id: number } | { error: string } | null {
  const m = IMAGE_ROUTE.exec(pathname);
  if (!m) return null;
  const raw = m[2];
  if (!/^\d{1,15}$/.test(raw)) return { error: `Image ids are whole numbers (got "${raw.slice(0, 40)}").` };
  return { kind: m[1] as ImageKind, id: Number(raw) };
}
