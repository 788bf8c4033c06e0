import os from 'node:os';
import path from 'node:path';

/**
 * Per-user folders, following each platform's convention so that users (and their
 * backup tools) find them where they expect:
 * - cache (downloaded weights, safe to delete): GRAFT_CACHE_DIR, else
 *   ~/.cache/graft (XDG_CACHE_HOME), ~/Library/Caches/Graft, %LOCALAPPDATA%\Graft\Cache;
 * - config (user-added backbones): GRAFT_CONFIG_DIR, else ~/.config/graft (XDG_CONFIG_HOME),
 *   ~/Library/Application Support/Graft, %APPDATA%\Graft.
 */
export function userCacheDir(): string {
  if (process.env.GRAFT_CACHE_DIR) return path.resolve(process.env.GRAFT_CACHE_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'Graft');
  if (process.platform === 'win32') {
    return path.join(process.env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Graft', 'Cache');
  }
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'graft');
}

export function userConfigDir(): string {
  if (process.env.GRAFT_CONFIG_DIR) return path.resolve(process.env.GRAFT_CONFIG_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Graft');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Graft');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'graft');
}

/** Where downloaded backbones live: `<cache>/models/<id>/model.json`. */
export function modelsCacheDir(): string {
  return path.join(userCacheDir(), 'models');
}
