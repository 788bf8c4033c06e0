import fs from 'node:fs';
import path from 'node:path';

/**
 * better-sqlite3 is a native module built for one ABI: the checkout's copy is built
 * for Node (the CLI and the tests use it), and Electron cannot load it. In the packaged
 * app, electron-builder rebuilds node_modules for Electron. In a checkout, `npm start`
 * (bin/start.js) builds a second copy for Electron into the folder named here, and
 * the desktop app hands it to better-sqlite3 through GRAFT_SQLITE_BINDING, which
 * `openProject` passes on as better-sqlite3's `nativeBinding` option. sharp and
 * tfjs-node use N-API, which is ABI-stable: one build serves both.
 */
export const SQLITE_BINDING_ENV = 'GRAFT_SQLITE_BINDING';

/** The staging folder of Electron-ABI native modules for one Electron version and platform. */
export function electronNativeDir(repoRoot: string, electronVersion: string, platform: string = process.platform, arch: string = process.arch): string {
  return path.join(repoRoot, 'node_modules', '.cache', 'graft-electron-native', `electron-${electronVersion}-${platform}-${arch}`);
}

/** The Electron-ABI better_sqlite3.node inside that folder. */
export function electronSqliteBinding(nativeDir: string): string {
  return path.join(nativeDir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
}

/**
 * Makes openProject use the Electron build when running unpackaged from a checkout.
 * Returns a message for the person when that build is missing (run `npm start`).
 */
export function configureSqliteForElectron(options: { packaged: boolean; repoRoot: string; electronVersion: string }): string | null {
  if (options.packaged) return null;
  const given = process.env[SQLITE_BINDING_ENV];
  if (given && fs.existsSync(given)) return null;
  const binding = electronSqliteBinding(electronNativeDir(options.repoRoot, options.electronVersion));
  if (fs.existsSync(binding)) {
    process.env[SQLITE_BINDING_ENV] = binding;
    return null;
  }
  return `SQLite has not been built for Electron ${options.electronVersion} in this checkout. Start Graft with "npm start", which builds it once (a C++ compiler or a download of a prebuilt copy is needed).`;
}
