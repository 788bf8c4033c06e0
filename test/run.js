#!/usr/bin/env node
'use strict';
// Runs every compiled test file under dist/test with Node's own test runner.
// Unit tests first, then integration, then end-to-end; one file at a time, because
// the heavy ones use both cores on their own (TF.js workers, sharp).
// Usage: node test/run.js [--runtime tfjs-node|wasm|cpu] [unit|integration|e2e|runtime|<substring>]...
//   --runtime  forces that TF.js runtime (GRAFT_RUNTIME) for every test and its child processes;
//   runtime    the tests whose results depend on the TF.js runtime (CI runs them again on tfjs-node).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'dist', 'test');
const order = ['unit', 'integration', 'e2e'];
/** Tests that run TF.js: backbones, codes, head training, fine-tuning, export, prediction. */
const runtimeDependent = [
  'unit/training-head.test.js',
  'unit/training-vote.test.js',
  'integration/backbones.test.js',
  'integration/codes.test.js',
  'integration/tfjs-runtimes.test.js',
  'integration/training.test.js',
  'integration/fine-tune.test.js',
  'integration/insights.test.js',
  'integration/export-model.test.js',
].map((f) => path.join(root, ...f.split('/')));

const args = process.argv.slice(2);
let runtime = null;
const at = args.indexOf('--runtime');
if (at >= 0) {
  runtime = args[at + 1];
  args.splice(at, 2);
  if (!['tfjs-node', 'wasm', 'cpu'].includes(runtime)) {
    console.error(`--runtime takes tfjs-node, wasm or cpu, not "${runtime ?? ''}".`);
    process.exit(2);
  }
}
const filters = args;

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? find(path.join(dir, e.name)) : e.name.endsWith('.test.js') ? [path.join(dir, e.name)] : []))
    .sort();
}

function selected(file) {
  return filters.some((k) => (k === 'runtime' ? runtimeDependent.includes(file) : order.includes(k) ? file.includes(`${path.sep}${k}${path.sep}`) : file.includes(k)));
}

let files = order.flatMap((kind) => find(path.join(root, kind)));
if (filters.length) files = files.filter(selected);
if (!files.length) {
  console.error('No test files found. Run "npm run build" first.');
  process.exit(1);
}
const missing = filters.includes('runtime') ? runtimeDependent.filter((f) => !files.includes(f)) : [];
if (missing.length) {
  console.error(`Runtime-dependent test files are missing: ${missing.map((f) => path.relative(root, f)).join(', ')}. Run "npm run build", or update the list in test/run.js.`);
  process.exit(1);
}

const env = { ...process.env, GRAFT_MODELS_DIR: process.env.GRAFT_MODELS_DIR || path.resolve(__dirname, '..', '..', 'shared', 'models') };
if (runtime) env.GRAFT_RUNTIME = runtime;

// Say which TF.js runtime this run uses, so a log shows it; a forced one that cannot start
// stops the run here with its reason, instead of failing every test the same way.
const runtimeModule = path.join(__dirname, '..', 'dist', 'main', 'tf', 'runtime.js');
if (fs.existsSync(runtimeModule)) {
  const probe = spawnSync(
    process.execPath,
    ['-e', `require(${JSON.stringify(runtimeModule)}).runtimeReport().then((r) => console.log(JSON.stringify(r)))`],
    { env, encoding: 'utf8' },
  );
  let report = null;
  try {
    report = JSON.parse(probe.stdout.trim().split('\n').pop());
  } catch {
    report = null;
  }
  const asked = env.GRAFT_RUNTIME ? `GRAFT_RUNTIME=${env.GRAFT_RUNTIME}` : 'GRAFT_RUNTIME unset';
  if (!report || !report.runtime) {
    console.error(`TF.js runtime: none (${asked}): ${report ? report.runtimeError : probe.stderr.trim()}`);
    if (runtime) process.exit(1);
  } else {
    const detail = report.tensorflowVersion ? `, TensorFlow ${report.tensorflowVersion}` : report.wasmSimd != null ? (report.wasmSimd ? ', SIMD' : ', no SIMD') : '';
    console.log(`TF.js runtime: ${report.runtime}${detail} (${asked})`);
  }
}

const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
