#!/usr/bin/env node
'use strict';
// `npm run stage:tfjs-node`: makes native TensorFlow (@tensorflow/tfjs-node) work in this
// checkout on a machine that cannot reach the host its install script downloads
// libtensorflow from (developers' machines, CI). Users keep the ordinary install, where
// tfjs-node downloads its own libtensorflow; this script changes nothing `npm ci` does.
//
// What it does, each step skipped when already done (a second run takes seconds):
//  1. installs @tensorflow/tfjs-node and the dependencies that npm dropped with it, at the
//     exact versions and checksums of package-lock.json (`npm pack`, no install script);
//  2. takes libtensorflow from the tensorflow-cpu wheel of the Python package index (pip):
//     its libtensorflow_cc.so.2 exports TensorFlow's C API, which is all tfjs-node calls;
//  3. places it where tfjs-node's build looks (deps/lib, deps/include);
//  4. builds the addon from source against this Node's headers (node-gyp, C++ toolchain);
//  5. checks that tfjs-node loads and that its backend is `tensorflow`.
//
// The wheel's libraries are kept, unpacked, in GRAFT_TFJS_NODE_CACHE (default
// ~/.cache/graft/tfjs-node) and hard-linked into node_modules, so every checkout on the
// machine shares one copy of the ~800 MB of libraries.
//
// A tfjs-node that npm installed with its own libtensorflow is left alone.
//
// Usage: node bin/stage-tfjs-node.js [--force]   (--force restages and rebuilds the addon)
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** The TensorFlow whose C library stands in for tfjs-node's libtensorflow 2.9.1 (verified). */
const TENSORFLOW_WHEEL = { name: 'tensorflow-cpu', version: '2.21.0' };
/** What the addon needs from the wheel: the two libraries and the C API's headers. */
const WHEEL_LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
const WHEEL_HEADER_DIRS = ['tensorflow/c/', 'tensorflow/core/platform/', 'tsl/platform/', 'xla/tsl/c/'];
const PACKAGE = '@tensorflow/tfjs-node';

const root = path.join(__dirname, '..');
const modules = path.join(root, 'node_modules');
const packageDir = path.join(modules, ...PACKAGE.split('/'));
const force = process.argv.includes('--force');

class StageError extends Error {}

function log(message) {
  process.stderr.write(`stage-tfjs-node: ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw new StageError(`${command} could not start (${result.error.message}).`);
  return result;
}

function cacheDir() {
  if (process.env.GRAFT_TFJS_NODE_CACHE) return path.resolve(process.env.GRAFT_TFJS_NODE_CACHE);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'graft', 'tfjs-node');
}

function checkPlatform() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new StageError(
      `this script stages the Linux x86-64 TensorFlow library, and this is ${process.platform}-${process.arch}; elsewhere tfjs-node's own install downloads its library ("npm install").`,
    );
  }
  if (!fs.existsSync(path.join(modules, '.package-lock.json')) && !fs.existsSync(path.join(modules, '@tensorflow', 'tfjs'))) {
    throw new StageError('node_modules is not installed: run "npm ci" first.');
  }
}

// --- 1. the npm package ---------------------------------------------------------------

/** Where Node would find `name` from the package at lock path `from` (node_modules/…). */
function resolveInLock(packages, from, name) {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return null;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

function installedVersion(lockPath) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, lockPath, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** The lock entries tfjs-node needs that are not on disk (npm removes them when its install fails). */
function missingPackages(packages) {
  const start = `node_modules/${PACKAGE}`;
  if (!packages[start]) throw new StageError(`package-lock.json has no ${PACKAGE}; it should be an optionalDependency in package.json.`);
  const seen = new Set();
  const missing = [];
  const queue = [start];
  while (queue.length) {
    const at = queue.shift();
    if (seen.has(at)) continue;
    seen.add(at);
    const entry = packages[at];
    const onDisk = installedVersion(at);
    if (onDisk === null) missing.push(at);
    else if (onDisk !== entry.version) {
      throw new StageError(`${at} is ${onDisk} on disk but ${entry.version} in package-lock.json: run "npm ci" first.`);
    }
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const dep = resolveInLock(packages, at, name);
      if (dep) queue.push(dep);
      else if (!(entry.optionalDependencies && name in entry.optionalDependencies)) {
        throw new StageError(`package-lock.json does not say where ${name} (needed by ${at}) goes: run "npm install" to repair the lock file.`);
      }
    }
  }
  return missing;
}

function packageName(lockPath) {
  return lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

function installPackage() {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const missing = missingPackages(lock.packages);
  if (!missing.length) {
    log(`${PACKAGE} ${lock.packages[`node_modules/${PACKAGE}`].version} is installed.`);
    return [];
  }
  log(`installing ${missing.length} package(s) npm left out (${PACKAGE} and its dependencies), as package-lock.json pins them…`);
  const tarballs = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-tfjs-node-'));
  try {
    const specs = missing.map((p) => `${packageName(p)}@${lock.packages[p].version}`);
    const packed = run('npm', ['pack', '--json', '--pack-destination', tarballs, ...specs], { cwd: tarballs });
    if (packed.status !== 0) throw new StageError(`"npm pack" failed: ${lastLines(packed.stderr)}`);
    const byId = new Map(JSON.parse(packed.stdout).map((p) => [p.id, p]));
    for (const [i, lockPath] of missing.entries()) {
      const info = byId.get(specs[i]);
      if (!info) throw new StageError(`"npm pack" did not fetch ${specs[i]}.`);
      const file = path.join(tarballs, info.filename);
      const wanted = lock.packages[lockPath].integrity;
      if (wanted) {
        const [algorithm] = wanted.split('-');
        const actual = `${algorithm}-${crypto.createHash(algorithm).update(fs.readFileSync(file)).digest('base64')}`;
        if (actual !== wanted) throw new StageError(`${specs[i]} does not match package-lock.json's checksum (${actual}, expected ${wanted}).`);
      }
      const dest = path.join(root, lockPath);
      fs.rmSync(dest, { recursive: true, force: true });
      fs.mkdirSync(dest, { recursive: true });
      const untar = run('tar', ['-xzf', file, '-C', dest, '--strip-components=1', '--no-same-owner']);
      if (untar.status !== 0) throw new StageError(`could not unpack ${specs[i]}: ${lastLines(untar.stderr)}`);
    }
  } finally {
    fs.rmSync(tarballs, { recursive: true, force: true });
  }
  return missing.map(packageName);
}

// --- 2. libtensorflow from the wheel ------------------------------------------------------

/** Unpacks the wheel's libraries and headers into the cache once; returns that folder. */
function cachedLibtensorflow() {
  const dir = path.join(cacheDir(), `${TENSORFLOW_WHEEL.name}-${TENSORFLOW_WHEEL.version}`);
  if (fs.existsSync(path.join(dir, 'complete'))) {
    log(`libtensorflow from ${TENSORFLOW_WHEEL.name} ${TENSORFLOW_WHEEL.version} is cached in ${dir}.`);
    return dir;
  }
  fs.mkdirSync(cacheDir(), { recursive: true });
  // Built beside the final folder and renamed into place, so that a run stopped half-way
  // (or two at once) never leaves a folder that looks complete.
  const building = fs.mkdtempSync(`${dir}.partial-`);
  try {
    log(`downloading the ${TENSORFLOW_WHEEL.name}==${TENSORFLOW_WHEEL.version} wheel with pip (about 270 MB)…`);
    const download = run('python3', ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--dest', building, `${TENSORFLOW_WHEEL.name}==${TENSORFLOW_WHEEL.version}`]);
    if (download.status !== 0) {
      throw new StageError(`pip could not download ${TENSORFLOW_WHEEL.name}==${TENSORFLOW_WHEEL.version}: ${lastLines(download.stderr || download.stdout)}`);
    }
    const wheel = fs.readdirSync(building).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new StageError('pip reported success but left no wheel.');
    log(`unpacking libtensorflow from ${wheel}…`);
    // Python is there (pip needs it), so its zipfile module unpacks: no unzip needed.
    const unpack = run('python3', [
      '-c',
      `import sys, zipfile
wheel, dest, libs, headers = sys.argv[1], sys.argv[2], sys.argv[3].split(','), sys.argv[4].split(',')
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    wanted = ['tensorflow/' + l for l in libs]
    wanted += [n for n in names if n.startswith('tensorflow/include/') and not n.endswith('/') and any(n[len('tensorflow/include/'):].startswith(h) for h in headers)]
    missing = [w for w in wanted if w not in names]
    if missing: sys.exit('the wheel lacks ' + ', '.join(missing))
    for n in wanted: z.extract(n, dest)`,
      path.join(building, wheel),
      building,
      WHEEL_LIBRARIES.join(','),
      WHEEL_HEADER_DIRS.join(','),
    ]);
    if (unpack.status !== 0) throw new StageError(`could not unpack ${wheel}: ${lastLines(unpack.stderr)}`);
    // Keep only what the addon needs: the wheel itself is not needed again.
    fs.renameSync(path.join(building, 'tensorflow'), path.join(building, 'wheel'));
    fs.rmSync(path.join(building, wheel));
    fs.writeFileSync(path.join(building, 'complete'), `${wheel}\n`);
    try {
      fs.renameSync(building, dir);
    } catch (err) {
      if (!fs.existsSync(path.join(dir, 'complete'))) throw err; // another run finished first otherwise
    }
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
  log(`cached libtensorflow in ${dir}.`);
  return dir;
}

// --- 3. placing it where tfjs-node looks ------------------------------------------------

/** A hard link to the cached file (no copy, no extra disk); a copy across file systems. */
function linkOrCopy(from, to) {
  try {
    if (fs.statSync(to).ino === fs.statSync(from).ino) return;
  } catch {
    // not there yet
  }
  fs.rmSync(to, { force: true });
  try {
    fs.linkSync(from, to);
  } catch {
    fs.copyFileSync(from, to);
  }
}

function symlink(target, at) {
  try {
    if (fs.readlinkSync(at) === target) return;
  } catch {
    // not a link yet
  }
  fs.rmSync(at, { force: true });
  fs.symlinkSync(target, at);
}

function placeLibtensorflow(cached) {
  const { LIBTENSORFLOW_VERSION } = require(path.join(packageDir, 'scripts', 'deps-constants.js'));
  const deps = path.join(packageDir, 'deps');
  const lib = path.join(deps, 'lib');
  fs.mkdirSync(lib, { recursive: true });
  // tfjs-node's install script skips its download when this exact file exists.
  const main = `libtensorflow.so.${LIBTENSORFLOW_VERSION}`;
  linkOrCopy(path.join(cached, 'wheel', 'libtensorflow_cc.so.2'), path.join(lib, main));
  // The link step looks for -ltensorflow; the built addon then records the library's own
  // SONAME, libtensorflow_cc.so.2, and does not load without a file of that name.
  for (const name of ['libtensorflow.so.2', 'libtensorflow.so', 'libtensorflow_cc.so.2']) symlink(main, path.join(lib, name));
  linkOrCopy(path.join(cached, 'wheel', 'libtensorflow_framework.so.2'), path.join(lib, 'libtensorflow_framework.so.2'));
  symlink('libtensorflow_framework.so.2', path.join(lib, 'libtensorflow_framework.so'));
  fs.rmSync(path.join(deps, 'include'), { recursive: true, force: true });
  fs.cpSync(path.join(cached, 'wheel', 'include'), path.join(deps, 'include'), { recursive: true });
  log(`placed libtensorflow (from ${TENSORFLOW_WHEEL.name} ${TENSORFLOW_WHEEL.version}) in ${path.relative(root, deps)}.`);
}

// --- 4. the addon -------------------------------------------------------------------------

const STAMP = path.join(packageDir, 'deps', 'graft-staged.json');

function wantedStamp() {
  return { tensorflow: `${TENSORFLOW_WHEEL.name}==${TENSORFLOW_WHEEL.version}`, node: process.versions.node, napi: process.versions.napi };
}

function addonIsCurrent() {
  try {
    return JSON.stringify(JSON.parse(fs.readFileSync(STAMP, 'utf8'))) === JSON.stringify(wantedStamp()) && verify(false);
  } catch {
    return false;
  }
}

function buildAddon(installed) {
  if (!force && addonIsCurrent()) {
    log('the addon is built and loads.');
    return;
  }
  log('building the tfjs-node addon from source (node-gyp; about a minute)…');
  fs.rmSync(STAMP, { force: true });
  const env = { ...process.env, npm_config_build_from_source: 'true' };
  // Node's own headers, when they are installed with it, so node-gyp downloads nothing.
  const prefix = path.dirname(path.dirname(process.execPath));
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
  // Rebuilding the packages that were just unpacked also links their commands (node-pre-gyp),
  // which tfjs-node's install script calls.
  const names = [...new Set([...installed, PACKAGE])];
  const rebuild = run('npm', ['rebuild', '--foreground-scripts', ...names], { cwd: root, env });
  if (rebuild.status !== 0) {
    throw new StageError(`building the addon failed (is a C++ toolchain installed: g++, make, python3?): ${lastLines(rebuild.stderr || rebuild.stdout, 15)}`);
  }
  fs.writeFileSync(STAMP, `${JSON.stringify(wantedStamp(), null, 2)}\n`);
}

// --- 5. the check -----------------------------------------------------------------------

/** Loads tfjs-node in a fresh process and runs one convolution on its `tensorflow` backend. */
function verify(loud = true) {
  const probe = `
const tf = require(${JSON.stringify(PACKAGE)});
const x = tf.ones([1, 8, 8, 3]);
const y = tf.conv2d(x, tf.ones([3, 3, 3, 2]), 1, 'same');
const centre = y.arraySync()[0][4][4][0];
if (centre !== 27) throw new Error('a 3×3 convolution of ones gave ' + centre + ', not 27');
console.log(JSON.stringify({ backend: tf.getBackend(), tfjs: tf.version['tfjs-node'], tensorflow: tf.backend().binding.TF_Version }));`;
  const result = run(process.execPath, ['-e', probe], { cwd: root, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  if (result.status !== 0) {
    if (!loud) return false;
    throw new StageError(`tfjs-node does not load: ${lastLines(result.stderr, 6)}`);
  }
  const info = JSON.parse(result.stdout.trim().split('\n').pop());
  if (info.backend !== 'tensorflow') {
    if (!loud) return false;
    throw new StageError(`tfjs-node loaded, but its backend is "${info.backend}", not "tensorflow".`);
  }
  if (loud) log(`tfjs-node ${info.tfjs} works: backend "${info.backend}", TensorFlow ${info.tensorflow}.`);
  return true;
}

function lastLines(text, n = 8) {
  return String(text || '')
    .trim()
    .split('\n')
    .slice(-n)
    .join('\n');
}

function main() {
  const started = Date.now();
  checkPlatform();
  // A tfjs-node that npm installed with its own libtensorflow (a machine that reached its
  // download) is left as it is, unless asked.
  if (!force && fs.existsSync(path.join(packageDir, 'package.json')) && !fs.existsSync(STAMP) && verify(false)) {
    log('tfjs-node already works here with the libtensorflow its own install downloaded: nothing to stage (--force replaces it).');
    verify();
    return;
  }
  const installed = installPackage();
  const cached = cachedLibtensorflow();
  placeLibtensorflow(cached);
  buildAddon(installed);
  verify();
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

try {
  main();
} catch (err) {
  if (!(err instanceof StageError)) throw err;
  log(`failed: ${err.message}`);
  process.exit(1);
}
