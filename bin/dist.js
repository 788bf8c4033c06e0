#!/usr/bin/env node
'use strict';
// `npm run dist`: packages the desktop app with electron-builder (electron-builder.yml)
// for this platform. Extra arguments go to electron-builder (e.g. `-- --linux deb`).
//
// electron-builder rebuilds the checkout's native modules in place for Electron's ABI;
// the CLI and the tests need them built for Node, so the Node build of better-sqlite3
// is kept aside and put back afterwards, whatever happens.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { findElectron, root } = require('./electron-native');

const electron = findElectron();
if (!electron.binary) {
  process.stderr.write(
    `npm run dist: packaging needs Electron, and ${electron.reason}. Run "npm install" on a machine that can download Electron, then try again.\n`,
  );
  process.exit(1);
}

const nodeBuild = path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const kept = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'graft-dist-')), 'better_sqlite3.node');
if (fs.existsSync(nodeBuild)) fs.copyFileSync(nodeBuild, kept);

let status = 1;
try {
  const cli = path.join(root, 'node_modules', 'electron-builder', 'cli.js');
  const result = spawnSync(process.execPath, [cli, '--config', 'electron-builder.yml', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  status = result.status ?? 1;
} finally {
  if (fs.existsSync(kept)) {
    // Replace, not overwrite in place: a hard link would carry the Electron build along.
    fs.rmSync(nodeBuild, { force: true });
    fs.copyFileSync(kept, nodeBuild);
    fs.rmSync(path.dirname(kept), { recursive: true, force: true });
  }
}
if (status === 0) process.stderr.write(`Packages are in ${path.join(root, 'release')}.\n`);
process.exit(status);
