/**
 * Which files the importer looks at, and what their bytes say they are.
 *
 * A folder of photos usually holds other things too (a LICENSE.txt, XMP sidecars,
 * videos, `.DS_Store`): only names with an image extension are candidates, so those
 * never show up as "skipped". A candidate whose bytes turn out not to be an image
 * (a text file named `.png`) is skipped with a reason.
 */
import path from 'node:path';

/** Formats Graft reads; the value is what the catalogue's `format` column stores. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'bmp' | 'avif' | 'heic';

const EXTENSIONS: Record<string, ImageFormat> = {
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

/** True for a file name the importer should try (case-insensitive extension). */
export function isImageFileName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(EXTENSIONS, path.extname(name).toLowerCase());
}

/**
 * Hidden files and folders are never imported: `.DS_Store`, `.thumbnails/`, and the
 * `._IMG_0001.jpg` AppleDouble files macOS leaves on shared drives, which carry an
 * image extension but hold no image.
 */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.');
}

/** The format the first bytes of a file announce, or null when they are no image we know. */
export function sniffFormat(head: Uint8Array): ImageFormat | null {
  const b = head;
  const at = (i: number, ...bytes: number[]) => bytes.every((v, k) => b[i + k] === v);
  const ascii = (i: number, s: string) => at(i, ...Array.from(s, (c) => c.charCodeAt(0)));
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  // BigTIFF
  if (at(0, 0x49, 0x49, 0x2b, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2b)) return 'tiff';
  if (ascii(0, 'BM') && b.length >= 26) return 'bmp';
  if (ascii(4, 'ftyp')) {
    const brand = String.fromCharCode(...b.slice(8, 12));
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1', 'heim', 'heis'].includes(brand)) return 'heic';
  }
  return null;
}

/**
 * The class an image gets from where it sits: the name of the top-level subfolder
 * of the imported folder (`flowers/daisy/2019/a.jpg` → `daisy`), or null for files
 * directly in the imported folder. Names are NFC-normalised so that a folder copied
 * from macOS (which stores names decomposed) matches one typed on Linux or Windows.
 */
export function folderClassOf(root: string, file: string): string | null {
  const rel = path.relative(root, file);
  const parts = rel.split(path.sep);
  if (parts.length < 2) return null;
  const name = parts[0].normalize('NFC').trim();
  // Class names are at most 100 characters and hold no control characters (the API
  // refuses such names); a folder that breaks that rule labels nothing.
  if (!name || name.length > 100 || /[\u0000-\u001f]/.test(name)) return null;
  return name;
}
