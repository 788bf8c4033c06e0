#!/usr/bin/env node
'use strict';
// npm's "prepare" step (run by `npm ci` and `npm install` in the checkout): builds dist/
// unless it already holds a build of exactly these sources.
//
// Why the check: `npx graft …` inside the checkout does not run node_modules/.bin. npm's
// exec (libnpmexec) sees that `graft` is the project's own bin, installs the checkout into
// npx's cache (as a link) and runs its prepare step again. Without this check the first
// `npx graft` after `npm ci` rebuilt everything, minutes with no output; with it, that
// install finds the build current and the command answers in seconds.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { sourceFiles } = require('./source-files');

const root = path.resolve(__dirname, '..');
/** Everything `npm run build` reads (tsc: main, shared, test; vite: renderer). */
const INPUTS = ['main', 'shared', 'renderer', 'test', 'tsconfig.json', 'package.json', 'package-lock.json'];
/** What a build leaves, for the CLI and the studio. */
const OUTPUTS = [path.join('dist', 'main', 'hosts', 'cli', 'graft.js'), path.join('dist', 'renderer', 'index.html')];
/** The hash of the inputs the build in dist/ was made from. */
const STAMP = path.join('dist', '.build-inputs');

/** A digest of the build's inputs under `dir`: every file's path and bytes, in a fixed order. */
function buildInputsHash(dir, inputs = INPUTS) {
  const hash = crypto.createHash('sha256');
  for (const rel of sourceFiles(dir, inputs)) hash.update(rel.split(path.sep).join('/')).update('\0').update(fs.readFileSync(path.join(dir, rel))).update('\0');
  return hash.digest('hex');
}

/** Whether dist/ in `dir` was built from inputs hashing to `hash`. */
function isBuilt(dir, hash) {
  if (!OUTPUTS.every((f) => fs.existsSync(path.join(dir, f)))) return false;
  try {
    return fs.readFileSync(path.join(dir, STAMP), 'utf8').trim() === hash;
  } catch {
    return false;
  }
}

function main() {
  const hash = buildInputsHash(root);
  if (isBuilt(root, hash)) {
    process.stderr.write('Graft is already built from these sources (dist/); nothing to do.\n');
    return 0;
  }
  // Through the npm that runs this script, when there is one, so the same npm builds.
  const npm = process.env.npm_execpath;
  const build = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) return build.status ?? 1;
  fs.writeFileSync(path.join(root, STAMP), `${hash}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main();

module.exports = { buildInputsHash, isBuilt, STAMP };
