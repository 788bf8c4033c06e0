/**
 * Walking a folder for image files. Symbolic links are followed (a class folder may
 * well be a link to photos kept elsewhere), but every directory is entered at most
 * once, so a link back to an ancestor is reported as a loop instead of recursing
 * forever. Anything odd (a named pipe called `x.jpg`, a dangling link, a subfolder
 * that cannot be read) becomes a skipped entry with a reason; only an unreadable
 * root folder fails the scan.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SkippedReport } from '../../../shared/types';
import { GraftError } from '../errors';
import { folderClassOf, isHiddenName, isImageFileName } from './formats';

export interface ScannedFile {
  /** Absolute path, under the (real) root folder. */
  path: string;
  /** Top-level subfolder name, or null for files directly in the root. */
  folderClass: string | null;
  size: number;
  /** Whole milliseconds, as the catalogue stores them. */
  mtimeMs: number;
}

export interface ScanResult {
  /** The canonical (symlink-resolved) root folder every path is under. */
  root: string;
  /** Regular image files, sorted by path. */
  files: ScannedFile[];
  skipped: SkippedReport[];
  /** Image-named entries that were not usable files (pipes, dangling links, link loops). */
  unusableFiles: number;
  /** Every path found with an image name, usable or not (a file that is there is not missing). */
  seen: Set<string>;
}

export interface ScanOptions {
  signal?: AbortSignal;
  /** Called now and then with the number of image files found so far. */
  onProgress?: (found: number) => void;
}

/** Resolves and checks the folder to import; throws a GraftError a person can act on. */
/**
 * The absolute folder a typed one names: `~` is the user's home, and a relative folder
 * starts at `base` (the project's folder, not wherever the engine's process started).
 */
export function absoluteImportFolder(folder: string, base: string): string {
  const typed = folder.trim();
  if (typed === '~' || typed.startsWith('~/') || typed.startsWith(`~${path.sep}`)) return path.join(os.homedir(), typed.slice(1));
  return path.resolve(base, typed);
}

export async function resolveImportRoot(folder: string): Promise<string> {
  const abs = path.resolve(folder);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GraftError('not_found', `The folder ${abs} does not exist. Check the path and try again.`);
    if (code === 'EACCES' || code === 'EPERM') throw new GraftError('io', `Graft is not allowed to read ${abs}. Check its permissions.`);
    throw new GraftError('io', `Cannot open ${abs}: ${(err as Error).message}`);
  }
  if (!st.isDirectory()) {
    throw new GraftError('invalid_params', `${abs} is a file, not a folder. Import the folder that holds your images (one subfolder per class).`);
  }
  // Canonical, so that importing through a symlinked path finds the same files again.
  return fs.promises.realpath(abs);
}

export async function scanFolder(folder: string, options: ScanOptions = {}): Promise<ScanResult> {
  const root = await resolveImportRoot(folder);
  const files: ScannedFile[] = [];
  const skipped: SkippedReport[] = [];
  const seen = new Set<string>();
  let unusableFiles = 0;
  /** dev:ino of every directory entered → the path it was entered by. */
  const entered = new Map<string, string>();
  let lastReport = 0;

  const rootStat = await fs.promises.stat(root);
  entered.set(dirKey(rootStat), root);

  const skipFile = (p: string, reason: string) => {
    seen.add(p);
    unusableFiles++;
    skipped.push({ path: p, reason });
  };

  async function walk(dir: string, ancestors: Set<string>): Promise<void> {
    options.signal?.throwIfAborted();
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root) throw new GraftError('io', `Cannot read the folder ${root}: ${(err as Error).message}`);
      skipped.push({ path: dir, reason: `cannot read this folder: ${errnoText(err)}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: Array<{ path: string; key: string }> = [];
    // stat() the entries of one folder a slice at a time, concurrently within a slice:
    // on a network drive each is a round trip, and a folder may hold 100,000 files.
    const visit = async (entry: fs.Dirent): Promise<void> => {
      if (isHiddenName(entry.name)) return;
      const full = path.join(dir, entry.name);
      const looksLikeImage = isImageFileName(entry.name);
      if (entry.isFile() && !looksLikeImage) return;
      let st: fs.Stats;
      try {
        st = await fs.promises.stat(full); // follows links
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ELOOP') skipFile(full, 'symbolic link loop (the link points back to itself)');
        else if (!looksLikeImage) return;
        else if (code === 'ENOENT' && entry.isSymbolicLink()) skipFile(full, 'broken symbolic link: its target does not exist');
        else skipFile(full, `cannot read: ${errnoText(err)}`);
        return;
      }
      if (st.isDirectory()) {
        const key = dirKey(st);
        if (ancestors.has(key)) {
          skipped.push({ path: full, reason: `symbolic link loop: it leads back to ${entered.get(key) ?? 'a parent folder'}` });
        } else if (entered.has(key)) {
          skipped.push({ path: full, reason: `same folder as ${entered.get(key)}, which is already imported` });
        } else {
          entered.set(key, full);
          subdirs.push({ path: full, key });
        }
        return;
      }
      if (!looksLikeImage) return;
      if (!st.isFile()) {
        skipFile(full, `not a regular file (${fileKind(st)})`);
        return;
      }
      seen.add(full);
      files.push({ path: full, folderClass: folderClassOf(root, full), size: st.size, mtimeMs: Math.trunc(st.mtimeMs) });
    };
    for (let i = 0; i < entries.length; i += 128) {
      options.signal?.throwIfAborted();
      await Promise.all(entries.slice(i, i + 128).map(visit));
    }
    const now = Date.now();
    if (options.onProgress && now - lastReport > 200) {
      lastReport = now;
      options.onProgress(files.length);
    }
    subdirs.sort((a, b) => (a.path < b.path ? -1 : 1));
    for (const sub of subdirs) await walk(sub.path, new Set([...ancestors, sub.key]));
  }

  await walk(root, new Set([dirKey(rootStat)]));
  options.onProgress?.(files.length);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { root, files, skipped, unusableFiles, seen };
}

function dirKey(st: fs.Stats): string {
  return `${st.dev}:${st.ino}`;
}

function fileKind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a file';
}

/** A short human text for a file-system error. */
export function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'it no longer exists';
    case 'EIO':
      return 'input/output error (a failing disk or a disconnected drive?)';
    case 'ELOOP':
      return 'symbolic link loop';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return e?.message ? e.message.replace(/^\w+: /, '') : String(err);
  }
}
