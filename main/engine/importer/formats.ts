/**
 * What the importer's candidate files are, and what their bytes say they are.
 *
 * Which names are candidates is shared with `predict` and the studio
 * (shared/image-files.ts). A candidate whose bytes turn out not to be an image (a text
 * file named `.png`) is skipped with a reason, never silently.
 */
import path from 'node:path';
import { classNameProblem } from '../../../shared/class-names';
import type { ImageFormat } from '../../../shared/image-files';

export { isImageFileName, type ImageFormat } from '../../../shared/image-files';

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
  // A folder whose name the API would refuse as a class labels nothing.
  return classNameProblem(name) ? null : name;
}
