/**
 * Writes an export into a hidden folder beside the target, then renames it into
 * place, so that the target is either the previous content or the complete export,
 * never half of one (a crash or a cancel leaves at most a `.graft-partial-…` folder
 * that the next export beside it cleans up).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { GraftError } from '../errors';

const PARTIAL_MARK = '.graft-partial-';
const OLD_MARK = '.graft-replaced-';
/** Bytes of the random suffix; its hex form (`SUFFIX_BYTES * 2` digits) ends every staging name. */
const SUFFIX_BYTES = 4;

export interface StagingFolder {
  /** The final folder (absolute). */
  readonly target: string;
  /** Where to write now. */
  readonly dir: string;
  /** Moves the staged content into place. */
  commit(): void;
  /** Removes the staged content; the target is untouched. */
  discard(): void;
}

/** True when `dir` is missing or an empty folder. */
function isEmptyOrMissing(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ENOTDIR') {
      throw new GraftError('conflict', `${dir} is a file, not a folder. Choose a folder to export into.`);
    }
    throw err;
  }
}

/**
 * Checks the target and creates the staging folder. A non-empty target is refused
 * unless `force`, because an export must never silently replace someone's files.
 */
export function openStagingFolder(target: string, options: { force?: boolean } = {}): StagingFolder {
  const abs = path.resolve(target);
  const parent = path.dirname(abs);
  // First put back content an interrupted export moved aside, so the check below sees it.
  removeLeftovers(parent, path.basename(abs));
  if (!isEmptyOrMissing(abs) && !options.force) {
    throw new GraftError('not_empty', `${abs} is not empty. Choose an empty or new folder, or replace its content.`);
  }
  try {
    fs.mkdirSync(parent, { recursive: true });
  } catch (err) {
    throw new GraftError('io', `Cannot create ${parent}: ${(err as Error).message}`);
  }
  const dir = path.join(parent, `${PARTIAL_MARK}${path.basename(abs)}-${randomBytes(SUFFIX_BYTES).toString('hex')}`);
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new GraftError('io', `Cannot write in ${parent} (${code}). Choose a folder you can write to.`);
    }
    throw err;
  }
  let settled = false;
  return {
    target: abs,
    dir,
    commit() {
      if (settled) return;
      settled = true;
      let old: string | null = null;
      if (fs.existsSync(abs)) {
        // Move the previous content aside first: rename cannot replace a non-empty
        // folder, and removing it before the new one is in place would lose both on a crash.
        old = path.join(parent, `${OLD_MARK}${path.basename(abs)}-${randomBytes(SUFFIX_BYTES).toString('hex')}`);
        fs.renameSync(abs, old);
      }
      try {
        fs.renameSync(dir, abs);
      } catch (err) {
        if (old) fs.renameSync(old, abs);
        throw err;
      }
      if (old) fs.rmSync(old, { recursive: true, force: true });
    },
    discard() {
      if (settled) return;
      settled = true;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The mark a staging or replaced folder of an export to exactly `base` starts with, or
 * null. A prefix test is not enough: `.graft-partial-out-2-1a2b3c4d` belongs to `out-2`,
 * not to `out`, so the name must be the mark, the base and one random suffix, nothing else.
 */
function leftoverMarkFor(name: string, base: string): typeof PARTIAL_MARK | typeof OLD_MARK | null {
  for (const mark of [PARTIAL_MARK, OLD_MARK] as const) {
    const rest = name.startsWith(mark) ? name.slice(mark.length) : null;
    if (rest === null || rest.length !== base.length + 1 + SUFFIX_BYTES * 2) continue;
    if (rest.startsWith(`${base}-`) && /^[0-9a-f]+$/.test(rest.slice(base.length + 1))) return mark;
  }
  return null;
}

/** Removes staging folders of earlier exports to the same target that were killed mid-way. */
function removeLeftovers(parent: string, base: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const mark = leftoverMarkFor(name, base);
    if (!mark) continue;
    // A replaced folder is only left behind if the process died between the two
    // renames; the target is then missing, so put the old content back rather than delete it.
    const full = path.join(parent, name);
    if (mark === OLD_MARK && !fs.existsSync(path.join(parent, base))) {
      fs.renameSync(full, path.join(parent, base));
      continue;
    }
    fs.rmSync(full, { recursive: true, force: true });
  }
}
