#!/usr/bin/env node
'use strict';
// Runs every compiled test file under dist/test with Node's own test runner.
// Unit tests first, then integration, then end-to-end; one file at a time, because
// the heavy ones use both cores on their own (TF.js workers, sharp).
// Usage: node test/run.js [unit|integration|e2e|<substring>]...
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'dist', 'test');
const order = ['unit', 'integration', 'e2e'];
const filters = process.argv.slice(2);

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? find(path.join(dir, e.name)) : e.name.endsWith('.test.js') ? [path.join(dir, e.name)] : []))
    .sort();
}

let files = order.flatMap((kind) => find(path.join(root, kind)));
if (filters.length) files = files.filter((f) => filters.some((k) => order.includes(k) ? f.includes(`${path.sep}${k}${path.sep}`) : f.includes(k)));
if (!files.length) {
  console.error('No test files found. Run "npm run build" first.');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, GRAFT_MODELS_DIR: process.env.GRAFT_MODELS_DIR || path.resolve(__dirname, '..', '..', 'shared', 'models') },
});
process.exit(result.status ?? 1);
