'use strict';
// Builds the Electron-ABI copy of better-sqlite3 that the desktop app needs when it
// runs from a checkout (see main/hosts/electron/native-modules.ts for why). Used by
// bin/start.js and the Electron smoke test. Needs the compiled dist/.
//
// The checkout's node_modules/better-sqlite3 stays built for Node (CLI, tests); a
// copy of its sources is staged under node_modules/.cache and rebuilt there by
// @electron/rebuild, which fetches a prebuilt binary for Electron when one is
// published and compiles it (node-gyp, C++ toolchain) otherwise.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** The installed Electron binary, or null with the reason. */
function findElectron() {
  let binary;
  try {
    binary = require('electron');
  } catch (err) {
    return { binary: null, reason: /failed to install correctly/i.test(String(err && err.message)) ? 'its binary was not downloaded' : 'it is an optional dependency that is not installed' };
  }
  if (typeof binary !== 'string' || !fs.existsSync(binary)) return { binary: null, reason: 'its binary is missing' };
  const version = require('electron/package.json').version;
  return { binary, version, reason: null };
}

/** Resolves to the path of better_sqlite3.node built for this Electron, building it once. */
async function ensureElectronSqlite(electronVersion, log = (m) => process.stderr.write(`${m}\n`)) {
  const native = require(path.join(root, 'dist', 'main', 'hosts', 'electron', 'native-modules.js'));
  const dir = native.electronNativeDir(root, electronVersion);
  const binding = native.electronSqliteBinding(dir);
  if (fs.existsSync(binding)) return binding;

  const source = path.dirname(require.resolve('better-sqlite3/package.json', { paths: [root] }));
  const version = require(path.join(source, 'package.json')).version;
  const staged = path.join(dir, 'node_modules', 'better-sqlite3');
  log(`Building SQLite (better-sqlite3 ${version}) for Electron ${electronVersion}; this happens once…`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(staged), { recursive: true });
  // Sources only: the Node build in build/ must not be mistaken for the Electron one.
  fs.cpSync(source, staged, {
    recursive: true,
    filter: (p) => {
      const rel = path.relative(source, p);
      return rel !== 'build' && !rel.startsWith(`build${path.sep}`) && !rel.startsWith(`node_modules${path.sep}`) && rel !== 'node_modules';
    },
  });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'graft-electron-native', private: true, dependencies: { 'better-sqlite3': version } }, null, 2),
  );
  let rebuild;
  try {
    ({ rebuild } = await import('@electron/rebuild'));
  } catch {
    throw new Error('@electron/rebuild is missing (it comes with electron-builder): run "npm install" in the Graft checkout.');
  }
  try {
    await rebuild({ buildPath: dir, electronVersion, arch: process.arch, onlyModules: ['better-sqlite3'], force: true, mode: 'sequential' });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `Could not build SQLite for Electron ${electronVersion}: ${err && err.message ? err.message.split('\n')[0] : err}. ` +
        'It needs either a download of the prebuilt module or a C++ toolchain (build-essential and python3 on Linux, Xcode tools on macOS, Visual Studio Build Tools on Windows).',
    );
  }
  if (!fs.existsSync(binding)) throw new Error(`Building SQLite for Electron left no ${binding}.`);
  return binding;
}

module.exports = { findElectron, ensureElectronSqlite, root };
