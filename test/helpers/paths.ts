import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The importer records canonical paths (links resolved), so tests compare against the
 * canonical form too: `../shared` may itself be a link to the data.
 */
function canonical(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** The repository root (tests run from dist/test/…). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** `../shared` beside the checkout: models, photos, test images. Never copied into the repo. */
export const sharedDir = canonical(process.env.GRAFT_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared'));
export const modelsDir = process.env.GRAFT_MODELS_DIR ?? path.join(sharedDir, 'models');
export const flowersDir = path.join(sharedDir, 'datasets', 'flowers');
export const flowersMiniDir = path.join(sharedDir, 'datasets', 'flowers-mini');
export const testdataDir = path.join(sharedDir, 'testdata');

/** The compiled CLI entry (bin/graft.js), for tests that run `graft` as a user would. */
export const graftBin = path.join(repoRoot, 'bin', 'graft.js');

/** A fresh temporary folder, removed by the caller's `after` hook via `cleanup`. */
export function tempDir(prefix = 'graft-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Where tests keep screenshots and other artifacts for people to look at. */
export const artifactsDir = path.join(repoRoot, 'test-artifacts');
