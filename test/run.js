#!/usr/bin/env node
'use strict';
// Runs every compiled test file under dist/test with Node's own test runner.
// Unit tests first, then integration, then end-to-end; one file at a time, because
// the heavy ones use both cores on their own (TF.js workers, sharp).
//
// Usage: node test/run.js [--build] [--runtime onnx|tfjs-node|wasm|cpu] [unit|integration|e2e|runtime|<substring>]...
//   --build    compile first (npm test); the browser is found before that, so a machine
//              without one fails in seconds rather than after the build
//   --runtime  forces that runtime (GRAFT_RUNTIME) for every test and its child processes: onnx runs
//              the networks on ONNX Runtime; tfjs-node, wasm, cpu run everything on that TF.js runtime
//   runtime    the tests whose results depend on the TF.js runtime (CI runs them again on tfjs-node)
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
/** Tests whose results depend on the runtime: backbones, codes, head training, fine-tuning, export, prediction. */
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
  'integration/export-deployable.test.js',
  'integration/onnx-backbones.test.js',
  'integration/onnx-classifier.test.js',
].map((f) => path.join(root, ...f.split('/')));

const args = process.argv.slice(2);
const build = args.includes('--build');
let runtime = null;
const at = args.indexOf('--runtime');
if (at >= 0) {
  runtime = args[at + 1];
  args.splice(at, 2);
  if (!['onnx', 'tfjs-node', 'wasm', 'cpu'].includes(runtime)) {
    console.error(`--runtime takes onnx, tfjs-node, wasm or cpu, not "${runtime ?? ''}".`);
    process.exit(2);
  }
}
const filters = args.filter((a) => a !== '--build');
const skipUi = uiTestsSkipped();

function find(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? find(path.join(dir, e.name)) : e.name.endsWith('.test.js') ? [path.join(dir, e.name)] : []))
    .sort();
}

function selected(file) {
  // Matched below dist/test only, so a checkout whose own path holds a filter's word selects nothing extra.
  const rel = `${path.sep}${path.relative(root, file)}`;
  return filters.some((k) => (k === 'runtime' ? runtimeDependent.includes(file) : order.includes(k) ? rel.startsWith(`${path.sep}${k}${path.sep}`) : rel.includes(k)));
}

const isUiTest = (file) => file.includes(`${path.sep}e2e${path.sep}`);

/** Says which TF.js runtime this run uses, so a log shows it; false when a forced one cannot start. */
function announceRuntime(env) {
  const runtimeModule = path.join(repo, 'dist', 'main', 'engine', 'tf', 'runtime.js');
  if (!fs.existsSync(runtimeModule)) return true;
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(runtimeModule)}).runtimeReport().then((r) => console.log(JSON.stringify(r)))`], { env, encoding: 'utf8' });
  let report = null;
  try {
    report = JSON.parse(probe.stdout.trim().split('\n').pop());
  } catch {
    report = null;
  }
  const asked = env.GRAFT_RUNTIME ? `GRAFT_RUNTIME=${env.GRAFT_RUNTIME}` : 'GRAFT_RUNTIME unset';
  if (!report || !report.runtime) {
    console.error(`TF.js runtime: none (${asked}): ${report ? report.runtimeError : probe.stderr.trim()}`);
    return !runtime;
  }
  const detail = report.tensorflowVersion ? `, TensorFlow ${report.tensorflowVersion}` : report.wasmSimd != null ? (report.wasmSimd ? ', SIMD' : ', no SIMD') : '';
  console.log(`TF.js runtime: ${report.runtime}${detail} (${asked})`);
  return true;
}

async function main() {
  const env = { ...process.env, GRAFT_MODELS_DIR: process.env.GRAFT_MODELS_DIR || path.resolve(repo, '..', 'shared', 'models') };
  if (runtime) env.GRAFT_RUNTIME = runtime;

  // The browser first: before the build, and once for the whole run.
  const wantsUi = !filters.length || filters.some((k) => k === 'e2e' || (!order.includes(k) && k !== 'runtime'));
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

  let files = order.flatMap((kind) => find(path.join(root, kind)));
  if (filters.length) files = files.filter(selected);
  if (!files.length) {
    process.stderr.write('No test files found. Run "npm run build" first.\n');
    return 1;
  }
  const missing = filters.includes('runtime') ? runtimeDependent.filter((f) => !files.includes(f)) : [];
  if (missing.length) {
    process.stderr.write(`Runtime-dependent test files are missing: ${missing.map((f) => path.relative(root, f)).join(', ')}. Run "npm run build", or update the list in test/run.js.\n`);
    return 1;
  }
  // A forced runtime that cannot start stops the run here, instead of failing every test the same way.
  if (!announceRuntime(env)) return 1;

  const leftOut = skipUi ? files.filter(isUiTest) : [];
  files = files.filter((f) => !leftOut.includes(f));
  // --test-force-exit: a file whose tests have all finished ends even if something it started
  // (a worker, a port) would keep its process alive; otherwise one such leak stalls the whole run.
  const result = spawnSync(process.execPath, ['--test', '--test-force-exit', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
  if (skipUi) {
    process.stdout.write(
      `\nTHE UI WAS NOT TESTED: GRAFT_SKIP_UI_TESTS=1 left out ${leftOut.length} end-to-end file(s) and the report's rendering check. Unset it and install a browser to test everything.\n`,
    );
  }
  return result.status ?? 1;
}

main().then((code) => process.exit(code));
