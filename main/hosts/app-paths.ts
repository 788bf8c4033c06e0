import os from 'node:os';
import path from 'node:path';

/**
 * Where Graft keeps things, the same for `graft serve`, `npm start` and the desktop
 * app, so a project started in one opens in the others.
 */

/** The built renderer: dist/renderer beside dist/main (also inside a packaged app.asar). */
export function rendererDir(): string {
  return path.resolve(__dirname, '..', '..', 'renderer');
}

/**
 * The per-user folder for settings and the default project. Mirrors Electron's
 * `app.getPath('userData')` for an app named "Graft", so both agree without Electron.
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.GRAFT_USER_DATA) return path.resolve(env.GRAFT_USER_DATA);
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'Graft');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Graft');
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'Graft');
}

/** The project opened when none is named: one file in the user's data folder. */
export function defaultProjectPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return path.join(userDataDir(env, platform), 'Projects', 'My images.graft');
}
