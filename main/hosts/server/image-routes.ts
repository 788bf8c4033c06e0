import type { ImageKind } from '../../engine';

/**
 * Image routes shared by both transports: `/thumb/:id` and `/image/:id` on the loopback
 * server, `graft-image://thumb/:id` and `graft-image://image/:id` in Electron. The bytes
 * come from the engine (`GraftEngine.image`).
 */
const ROUTE = /^\/(thumb|image)\/([^/]*)\/?$/;

/** `{kind, id}` for an image path, `{error}` for a malformed id, null for other paths. */
export function parseImageRoute(pathname: string): { kind: ImageKind; id: number } | { error: string } | null {
  const m = ROUTE.exec(pathname);
  if (!m) return null;
  const raw = m[2];
  if (!/^\d{1,15}$/.test(raw)) return { error: `Image ids are whole numbers (got "${raw.slice(0, 40)}").` };
  return { kind: m[1] as ImageKind, id: Number(raw) };
}
