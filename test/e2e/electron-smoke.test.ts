/**
 * The desktop app itself, where Electron's binary is installed: the window opens on
 * our page, the page has no Node, and the preload's API answers (calls, validation,
 * events). Skipped, with the reason, where the binary is absent (it is an optional
 * dependency whose download needs the internet).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { repoRoot, tempDir } from '../helpers/paths';

const { findElectron, ensureElectronSqlite } = require(path.join(repoRoot, 'bin', 'electron-native.js')) as {
  findElectron(): { binary: string | null; version?: string; reason: string | null };
  ensureElectronSqlite(version: string, log?: (m: string) => void): Promise<string>;
};

const electron = findElectron();
const displayMissing = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const skip = !electron.binary
  ? `Electron's binary is not installed (${electron.reason}); the desktop smoke test needs it`
  : displayMissing
    ? 'No display for the Electron window (set DISPLAY, e.g. run under xvfb-run)'
    : false;

describe('desktop app (Electron)', () => {
  const tmp = tempDir('graft-electron-');
  after(() => tmp.cleanup());

  test('opens the window and the preload API answers', { skip, timeout: 180_000 }, async () => {
    const { _electron } = require('playwright-core') as typeof import('playwright-core');
    assert.ok(fs.existsSync(path.join(repoRoot, 'dist', 'renderer', 'index.html')), 'build the renderer first (npm run build:renderer)');
    const binding = await ensureElectronSqlite(electron.version as string);
    const project = path.join(tmp.dir, 'smoke.graft');
    const app = await _electron.launch({
      executablePath: electron.binary as string,
      args: [repoRoot, '--project', project],
      env: { ...process.env, GRAFT_USER_DATA: path.join(tmp.dir, 'user-data'), GRAFT_SQLITE_BINDING: binding } as Record<string, string>,
    });
    try {
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      assert.equal(page.url(), 'graft://app/index.html');

      // The window was made with the options the unit tests check (secureWebPreferences).
      const windows = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.webContents.getURL()));
      assert.deepEqual(windows, ['graft://app/index.html']);

      const probe = await page.evaluate(async () => {
        // (Runs in the page; the test's own tsconfig has no DOM types.)
        const w = globalThis as unknown as Record<string, any> & { graft: Record<string, (...a: unknown[]) => Promise<any>> };
        const graft = w.graft;
        const events: unknown[] = [];
        const off = (graft.on as unknown as (e: string, h: (p: unknown) => void) => () => void)('catalogue.changed', (p) => events.push(p));
        const created = await graft.call('classes.create', { name: 'smoke' });
        const listed = await graft.call('classes.list', {});
        const invalid = await graft.call('classes.create', { name: '' });
        const unknown = await graft.call('nope.never', {});
        await new Promise((r) => setTimeout(r, 300));
        off();
        return {
          keys: Object.keys(graft).sort(),
          require: typeof w.require,
          process: typeof w.process,
          ipcRenderer: typeof w.ipcRenderer,
          created,
          names: listed.ok ? listed.value.map((c: { name: string }) => c.name) : listed,
          invalid: invalid.ok ? 'accepted' : invalid.error.code,
          unknown: unknown.ok ? 'accepted' : unknown.error.code,
          events: events.length,
          opened: w.open('https://example.com') === null,
        };
      });
      assert.deepEqual(probe.keys, ['call', 'on', 'onMenu', 'pathForFile', 'pickFolder', 'platform', 'showInFolder']);
      assert.equal(probe.require, 'undefined');
      assert.equal(probe.process, 'undefined');
      assert.equal(probe.ipcRenderer, 'undefined');
      assert.equal(probe.created.ok, true);
      assert.deepEqual(probe.names, ['smoke']);
      assert.equal(probe.invalid, 'invalid_params');
      assert.equal(probe.unknown, 'unknown_method');
      assert.ok(probe.events >= 1, 'catalogue.changed reached the page');
      assert.equal(probe.opened, true, 'new windows are refused');

      // Navigation away from the app is blocked.
      await page.evaluate(() => {
        (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.com/';
      });
      await page.waitForTimeout(500);
      assert.equal(page.url(), 'graft://app/index.html');
      await page.screenshot({ path: path.join(tmp.dir, 'electron-window.png') });
    } finally {
      await app.close();
    }
  });
});
