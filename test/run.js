#!/usr/bin/env node
'use strict';
// Runs every compiled test file under dist/test with Node's own test runner.
// Unit tests first, then integration, then end-to-end; one file at a time, because
// the heavy ones use both cores on their own (TF.js workers, sharp).
//
// Usage: node test/run.js [--build] [unit|integration|e2e|<substring>]...
//   --build  compile first (npm test); the browser is found before that, so a machine
//            without one fails in seconds rather than after the build
//
// The end-to-end tests drive the real UI in a browser (test/find-browser.js says which).
// With no browser the run stops at the start, saying what it looked for; a run that did not
// test the UI never looks like one that did. GRAFT_SKIP_UI_TESTS=1 is the explicit opt-out.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { findBrowser, uiTestsSkipped, HANDED_DOWN } = require('./find-browser');

const repo = path.join(__dirname, '..');
const root = path.join(repo, 'dist', 'test');
const order = ['unit', 'integration', 'e2e'];
const args = process.argv.slice(2);
const build = args.includes('--build');
const filters = args.filter((a) => a !== '--build');
const skipUi = uiTestsSkipped();

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? find(path.join(dir, e.name)) : e.name.endsWith('.test.js') ? [path.join(dir, e.name)] : []))
    .sort();
}

function select() {
  let files = order.flatMap((kind) => find(path.join(root, kind)));
  if (filters.length) files = files.filter((f) => filters.some((k) => (order.includes(k) ? f.includes(`${path.sep}${k}${path.sep}`) : f.includes(k))));
  return files;
}

const isUiTest = (file) => file.includes(`${path.sep}e2e${path.sep}`);

async function main() {
  // The browser first: before the build, and once for the whole run.
  const wantsUi = !filters.length || filters.some((k) => k === 'e2e' || !order.includes(k));
  const env = { ...process.env, GRAFT_MODELS_DIR: process.env.GRAFT_MODELS_DIR || path.resolve(repo, '..', 'shared', 'models') };
  if (skipUi) {
    process.stdout.write('UI tests: skipped (GRAFT_SKIP_UI_TESTS=1).\n');
  } else if (wantsUi) {
    try {
      const browser = await findBrowser();
      process.stdout.write(`UI tests: ${browser.description}\n`);
      env[HANDED_DOWN] = JSON.stringify(browser);
    } catch (err) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
  }

  if (build) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const built = spawnSync(npm, ['run', 'build'], { cwd: repo, stdio: 'inherit', shell: process.platform === 'win32' });
    if (built.status !== 0) return built.status ?? 1;
  }

  let files = select();
  if (!files.length) {
    process.stderr.write('No test files found. Run "npm run build" first.\n');
    return 1;
  }
  const leftOut = skipUi ? files.filter(isUiTest) : [];
  files = files.filter((f) => !leftOut.includes(f));
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env,
  });
  if (skipUi) {
    process.stdout.write(
      `\nTHE UI WAS NOT TESTED: GRAFT_SKIP_UI_TESTS=1 left out ${leftOut.length} end-to-end file(s) and the report's rendering check. Unset it and install a browser to test everything.\n`,
    );
  }
  return result.status ?? 1;
}

main().then((code) => process.exit(code));
