/**
 * npm's prepare step (bin/prepare.js) builds only when dist/ is not a build of the current
 * sources. `npx graft` in a checkout runs prepare again (npm installs the checkout into its
 * npx cache); this is what keeps the first `npx graft` after `npm ci` from rebuilding
 * everything. Checked on a small stand-in package whose "build" leaves a mark.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, tempDir } from '../helpers/paths';

const prepare = require(path.join(repoRoot, 'bin', 'prepare.js')) as {
  buildInputsHash(dir: string): string;
  isBuilt(dir: string, hash: string): boolean;
  STAMP: string;
};

describe('npm prepare (bin/prepare.js)', () => {
  const tmp = tempDir('graft-prepare-');
  const pkg = path.join(tmp.dir, 'pkg');
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(pkg, rel)), { recursive: true });
    fs.writeFileSync(path.join(pkg, rel), text);
  };
  const builds = () => (fs.existsSync(path.join(pkg, 'builds')) ? fs.readFileSync(path.join(pkg, 'builds'), 'utf8').length : 0);

  before(() => {
    fs.mkdirSync(path.join(pkg, 'bin'), { recursive: true });
    for (const script of ['prepare.js', 'source-files.js']) fs.copyFileSync(path.join(repoRoot, 'bin', script), path.join(pkg, 'bin', script));
    // Its "build" makes the outputs prepare looks for and counts itself.
    const build = "const fs=require('fs');fs.mkdirSync('dist/main/hosts/cli',{recursive:true});fs.mkdirSync('dist/renderer',{recursive:true});fs.writeFileSync('dist/main/hosts/cli/graft.js','');fs.writeFileSync('dist/renderer/index.html','');fs.appendFileSync('builds','x')";
    write('package.json', JSON.stringify({ name: 'stand-in', version: '1.0.0', private: true, scripts: { build: `node -e "${build}"` } }));
    write('main/engine/a.ts', 'export const a = 1;\n');
    write('renderer/src/App.svelte', '<p>hi</p>\n');
  });
  after(tmp.cleanup);

  function runPrepare() {
    const r = spawnSync(process.execPath, [path.join(pkg, 'bin', 'prepare.js')], { cwd: pkg, encoding: 'utf8', env: { ...process.env, npm_execpath: '' } });
    assert.equal(r.status, 0, r.stderr);
    return r;
  }

  it('builds a checkout that has no build, and stamps dist/ with its sources', () => {
    runPrepare();
    assert.equal(builds(), 1);
    assert.equal(fs.readFileSync(path.join(pkg, prepare.STAMP), 'utf8').trim(), prepare.buildInputsHash(pkg));
  });

  it('does nothing when dist/ is a build of these sources: the second prepare, as npx runs it', () => {
    const r = runPrepare();
    assert.equal(builds(), 1, 'no second build');
    assert.match(r.stderr, /already built .*nothing to do/);
  });

  it('builds again when a source changes, or a source is added, but not for node_modules or dot files', () => {
    const before = prepare.buildInputsHash(pkg);
    write('main/node_modules/x.js', 'ignored');
    write('main/.cache', 'ignored');
    assert.equal(prepare.buildInputsHash(pkg), before);
    write('shared/b.ts', 'export const b = 2;\n');
    assert.notEqual(prepare.buildInputsHash(pkg), before);
    runPrepare();
    assert.equal(builds(), 2);
    write('main/engine/a.ts', 'export const a = 2;\n');
    assert.equal(prepare.isBuilt(pkg, prepare.buildInputsHash(pkg)), false);
    runPrepare();
    assert.equal(builds(), 3);
  });

  it('builds again when an output is missing', () => {
    fs.rmSync(path.join(pkg, 'dist', 'renderer', 'index.html'));
    runPrepare();
    assert.equal(builds(), 4);
  });
});
