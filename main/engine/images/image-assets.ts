/**
 * The pictures the studio shows: an image's stored thumbnail, and its large preview
 * rendered from the file on disk. Both hosts serve them (`/thumb/:id` and `/image/:id`
 * on the loopback server, `graft-image://` in Electron) through `Engine.image`. Recent
 * previews are kept, so paging back and forth in the preview does not decode the same
 * photo again; the engine frees them when the project closes.
 */
import { filePathsOf, imageHash, readThumbnail } from '../catalogue/images';
import { PREVIEW_SIZE } from '../importer/decode';
import { GraftError } from '../errors';
import type { ImageKind } from '../../../shared/wire';
import type { Engine } from '../engine';

export type { ImageKind };

export interface ImageAsset {
  data: Buffer;
  contentType: string;
  /** Changes whenever the bytes would. */
  etag: string;
}

const PREVIEW_CACHE_ENTRIES = 12;

export class ImageAssets {
  readonly #previews = new LruCache<Buffer>(PREVIEW_CACHE_ENTRIES);

  constructor(private readonly engine: Engine) {}

  /**
   * A validator for the bytes of a route, cheap to compute (no decoding): images are keyed
   * by content, so the same hash always renders the same thumbnail and preview.
   */
  etag(kind: ImageKind, id: number): string {
    const hash = imageHash(this.engine.db, id);
    if (!hash) throw new GraftError('not_found', `There is no image with id ${id} (it may have been removed). Refresh the view.`);
    return `${kind}-${hash.slice(0, 32)}`;
  }

  async get(kind: ImageKind, id: number): Promise<ImageAsset> {
    const etag = this.etag(kind, id);
    if (kind === 'thumb') return { data: readThumbnail(this.engine.db, id), contentType: 'image/jpeg', etag };
    let data = this.#previews.get(etag);
    if (!data) {
      const paths = filePathsOf(this.engine.db, id);
      if (!paths.length) throw new GraftError('not_found', `Image ${id} has no file on record. Import its folder again.`);
      const jpeg = await this.engine.media.run('render-preview', { paths, longSide: PREVIEW_SIZE });
      data = Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
      this.#previews.set(etag, data);
    }
    return { data, contentType: 'image/jpeg', etag };
  }

  dispose(): void {
    this.#previews.clear();
  }
}

/** Least recently used first out. */
class LruCache<T> {
  readonly #entries = new Map<string, T>();
  constructor(private readonly capacity: number) {}

  get(key: string): T | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: T): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  clear(): void {
    this.#entries.clear();
  }
}
