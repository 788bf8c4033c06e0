#!/usr/bin/env node
'use strict';
// `npm start`: Graft's desktop app where Electron is installed, otherwise the same
// studio served to a browser on this computer (`graft serve`), with the address printed.
//
//   npm start [-- --project FILE] [--port N] [--web] [--no-build]
//
// --project FILE  the project to open (default: the last one the desktop app had, or
//                 "My images.graft" in Graft's folder of the user's data)
// --port N        the port to serve on in a browser (default: any free port)
// --web           serve to a browser even where Electron is installed
// --no-build      skip the check that the compiled code is newer than its sources
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { findElectron, ensureElectronSqlite, root } = require('./electron-native');
const { sourceFiles } = require('./source-files');

const log = (m) => process.stderr.write(`${m}\n`);

function newestMtime(entries) {
  return sourceFiles(root, entries).reduce((newest, rel) => Math.max(newest, fs.statSync(path.join(root, rel)).mtimeMs), 0);
}

function outdated(output, sources) {
  if (!fs.existsSync(output)) return true;
  return newestMtime(sources) > fs.statSync(output).mtimeMs;
}

function run(what, args) {
  log(`${what}…`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return result.status === 0;
}

/** Compiles what is older than its sources; the renderer only when it is needed and buildable. */
function buildIfNeeded() {
  const cli = path.join(root, 'dist', 'main', 'hosts', 'cli', 'graft.js');
  if (outdated(cli, ['main', 'shared', 'tsconfig.json'])) {
    const ok = run('Compiling Graft (TypeScript)', [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    // tsc writes its output even when a file has a type error; go on if it did.
    if (!ok && !fs.existsSync(cli)) throw new Error('Compiling failed; see the errors above.');
    if (!ok) log('(Type errors above; starting with what was compiled.)');
    const now = new Date();
    fs.utimesSync(cli, now, now);
  }
  const page = path.join(root, 'dist', 'renderer', 'index.html');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (outdated(page, ['renderer', 'shared']) && fs.existsSync(vite) && fs.existsSync(path.join(root, 'renderer', 'vite.config.ts'))) {
    if (!run('Building the interface (Vite)', [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'])) {
      if (!fs.existsSync(page)) throw new Error('Building the interface failed; see the errors above.');
      log('(The interface did not rebuild; starting with the previous build.)');
    }
  }
}

function hasDisplay() {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      project: { type: 'string', short: 'p' },
      port: { type: 'string' },
      web: { type: 'boolean' },
      'no-build': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: npm start [-- --project FILE] [--port N] [--web] [--no-build]\n');
    return 0;
  }
  if (!values['no-build']) buildIfNeeded();

  const electron = findElectron();
  let why = electron.binary ? null : `The desktop app needs Electron, and ${electron.reason}`;
  if (!why && values.web) why = 'Asked for the browser (--web)';
  if (!why && !hasDisplay()) why = 'There is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';

  if (!why) {
    let binding;
    try {
      binding = await ensureElectronSqlite(electron.version, log);
    } catch (err) {
      why = err.message;
    }
    if (binding) {
      const args = [root, ...(values.project ? ['--project', path.resolve(values.project)] : [])];
      const child = spawn(electron.binary, args, { stdio: 'inherit', env: { ...process.env, GRAFT_SQLITE_BINDING: binding } });
      const forward = (signal) => child.kill(signal);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      return new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 0))));
    }
  }

  log(`${why}: serving Graft to your browser instead.`);
  const { defaultProjectPath } = require(path.join(root, 'dist', 'main', 'hosts', 'app-paths.js'));
  const project = path.resolve(values.project ?? defaultProjectPath());
  const args = ['serve', '--project', project, ...(values.port ? ['--port', values.port] : [])];
  return require(path.join(root, 'dist', 'main', 'hosts', 'cli', 'graft.js')).main(args);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`npm start: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
