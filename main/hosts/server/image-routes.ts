import type { Engine } from '../../engine/engine';
import { readThumbnail, renderPreview } from '../../engine/catalogue/images';
import { GraftError } from '../../engine/errors';

/**
 * Image routes shared by both transports: `/thumb/:id` and `/image/:id` on the loopback
 * server, `graft-image://thumb/:id` and `graft-image://image/:id` in Electron.
 */
export type ImageKind = 'thumb' | 'image';

export interface LoadedImage {
  data: Buffer;
  contentType: string;
  /** Changes whenever the bytes would. */
  etag: string;
}

const ROUTE = /^\/(thumb|image)\/([^/]*)\/?$/;

/** `{kind, id}` for an image path, `{error}` for a malformed id, null for other paths. */
export function parseImageRoute(pathname: string): { kind: ImageKind; id: number } | { error: string } | null {
  const m = ROUTE.exec(pathname);
  if (!m) return null;
  const raw = m[2];
  if (!/^\d{1,15}$/.test(raw)) return { error: `Image ids are whole numbers (got "${raw.slice(0, 40)}").` };
  return { kind: m[1] as ImageKind, id: Number(raw) };
}

/**
 * The bytes for an image route: the stored thumbnail, or the large preview rendered
 * from the file on disk (by the catalogue's images module). Previews are kept in a
 * small cache per project, so paging back and forth in the preview does not decode
 * the same photo again.
 */
export async function loadImage(engine: Engine, kind: ImageKind, id: number): Promise<LoadedImage> {
  const etag = imageEtag(engine, kind, id);
  if (kind === 'thumb') return { data: readThumbnail(engine.db, id), contentType: 'image/jpeg', etag };
  const cache = previewCaches.get(engine) ?? new PreviewCache(PREVIEW_CACHE_ENTRIES);
  previewCaches.set(engine, cache);
  let data = cache.get(etag);
  if (!data) {
    data = await renderPreview(engine.db, id);
    cache.set(etag, data);
  }
  return { data, contentType: 'image/jpeg', etag };
}

/**
 * A validator for the bytes of a route, cheap to compute (no decoding): images are
 * keyed by content, so the same hash always renders the same thumbnail and preview.
 * Throws not_found for an unknown id.
 */
export function imageEtag(engine: Engine, kind: ImageKind, id: number): string {
  const hash = engine.db.prepare('SELECT hash FROM images WHERE id = ?').pluck().get(id) as string | undefined;
  if (!hash) throw new GraftError('not_found', `There is no image with id ${id} (it may have been removed). Refresh the view.`);
  return `${kind}-${hash.slice(0, 32)}`;
}

const PREVIEW_CACHE_ENTRIES = 12;
const previewCaches = new WeakMap<Engine, PreviewCache>();

/** Least recently used first out. */
class PreviewCache {
  readonly #entries = new Map<string, Buffer>();
  constructor(private readonly capacity: number) {}

  get(key: string): Buffer | undefined {
    const value = this.#entries.get(key);
    if (value) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: Buffer): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
