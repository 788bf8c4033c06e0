/**
 * Which files are images: one list for the importer's scan, `predict`'s folder walk and
 * the studio's file picker and drop filter, so a file one of them takes is taken by all.
 *
 * A folder of photos usually holds other things too (a LICENSE.txt, XMP sidecars,
 * videos, `.DS_Store`): only names with an image extension are candidates. Whether the
 * bytes really are that image is the engine's business (importer/formats.ts sniffs them).
 */

/** Formats Graft reads; the value is what the catalogue's `format` column stores. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'bmp' | 'avif' | 'heic';

/** Extension (lower case, with its dot) → the format it announces. */
export const IMAGE_EXTENSIONS: Readonly<Record<string, ImageFormat>> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.jpe': 'jpeg',
  '.jfif': 'jpeg',
  '.png': 'png',
  '.webp': 'webp',
  '.gif': 'gif',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.bmp': 'bmp',
  '.dib': 'bmp',
  '.avif': 'avif',
  // HEIC is a candidate so that a phone's photos are reported rather than silently
  // ignored: this build of libvips cannot decode HEVC, and the reason says so.
  '.heic': 'heic',
  '.heif': 'heic',
};

/**
 * The extension of a file name as `path.extname` gives it ('' for none, and for a name
 * that only starts with a dot), lower-cased; either slash separates folders.
 */
export function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/** True for a file name with an image extension (case-insensitive). */
export function isImageFileName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(IMAGE_EXTENSIONS, extensionOf(name));
}
