/**
 * The desktop shell's parts that do not need the Electron binary: the compiled
 * preload (run in a sandbox-like context with a fake 'electron'), the window's
 * security settings, the menu, the remembered settings, launch arguments and the
 * custom protocols' answers.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import vm from 'node:vm';
import type { MenuItemConstructorOptions } from 'electron';
import { buildMenuTemplate, recentLabel } from '../../main/hosts/electron/menu';
import type { MenuActions } from '../../main/hosts/electron/menu';
import { projectFromArgs } from '../../main/hosts/electron/launch-args';
import { configureSqliteForElectron, electronNativeDir, electronSqliteBinding, SQLITE_BINDING_ENV } from '../../main/hosts/electron/native-modules';
import { APP_CSP, respondToAppRequest, respondToImageRequest } from '../../main/hosts/electron/protocol-responses';
import { MAX_RECENT, readSettings, SettingsStore, visibleBounds, withRecent } from '../../main/hosts/electron/settings';
import { APP_ENTRY, isAppUrl, isExternalLink, mainWindowOptions, secureWebPreferences } from '../../main/hosts/electron/window-options';
import { IPC } from '../../shared/bridge';
import type { GraftBridge, MenuCommand } from '../../shared/bridge';
import { repoRoot, tempDir } from '../helpers/paths';

const preloadFile = path.join(repoRoot, 'dist', 'main', 'hosts', 'electron', 'preload.js');

/** Runs the compiled preload the way Electron's sandbox does: only 'electron' can be required. */
function loadPreload(options: { pathForFile?: (file: unknown) => string } = {}) {
  const required: string[] = [];
  const exposed: Record<string, unknown> = {};
  const invoked: unknown[][] = [];
  const ipc = new EventEmitter();
  const ipcRenderer = {
    invoke: async (...args: unknown[]) => {
      invoked.push(args);
      return { ok: true, value: 'answer' };
    },
    on: (channel: string, listener: (...a: unknown[]) => void) => ipc.on(channel, listener),
    removeListener: (channel: string, listener: (...a: unknown[]) => void) => ipc.removeListener(channel, listener),
    send: () => assert.fail('the preload never uses send'),
    sendSync: () => assert.fail('the preload never uses sendSync'),
  };
  const electron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => {
        assert.ok(!(key in exposed), `${key} exposed twice`);
        exposed[key] = api;
      },
    },
    ipcRenderer,
    webUtils: { getPathForFile: options.pathForFile ?? (() => '') },
  };
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name} (a sandboxed preload can only require 'electron')`);
  };
  const module = { exports: {} };
  const source = fs.readFileSync(preloadFile, 'utf8');
  const wrapper = vm.runInNewContext(`(function (exports, require, module, process, console) {${source}\n})`, {}, { filename: preloadFile });
  wrapper(module.exports, sandboxRequire, module, { platform: 'linux' }, console);
  return { required, exposed, invoked, ipc, ipcRenderer };
}

describe('preload', () => {
  test('requires only electron and exposes only window.graft, made of named functions', () => {
    const { required, exposed, ipcRenderer } = loadPreload();
    assert.deepEqual([...new Set(required)], ['electron']);
    assert.deepEqual(Object.keys(exposed), ['graft']);
    const bridge = exposed.graft as Record<string, unknown>;
    assert.deepEqual(Object.keys(bridge).sort(), ['call', 'on', 'onMenu', 'pathForFile', 'pickFolder', 'platform', 'showInFolder']);
    for (const [key, value] of Object.entries(bridge)) {
      if (key === 'platform') assert.equal(value, 'linux');
      else assert.equal(typeof value, 'function', key);
      assert.notEqual(value, ipcRenderer, `${key} leaks ipcRenderer`);
      assert.notEqual(value, ipcRenderer.invoke, `${key} leaks ipcRenderer.invoke`);
    }
  });

  test('calls go to the call channel with the method and params, unchanged', async () => {
    const { exposed, invoked } = loadPreload();
    const bridge = exposed.graft as GraftBridge;
    const result = await bridge.call('classes.rename', { id: 3, name: 'roses' });
    assert.deepEqual(result, { ok: true, value: 'answer' });
    assert.deepEqual(invoked, [[IPC.call, 'classes.rename', { id: 3, name: 'roses' }]]);
  });

  test('events and menu commands fan out to subscribers, and unsubscribing works', () => {
    const { exposed, ipc } = loadPreload();
    const bridge = exposed.graft as GraftBridge;
    const progress: unknown[] = [];
    const finished: unknown[] = [];
    const off = bridge.on('job.progress', (p) => progress.push(p));
    bridge.on('job.finished', (p) => finished.push(p));
    ipc.emit(IPC.event, {}, 'job.progress', { done: 1 });
    ipc.emit(IPC.event, {}, 'job.progress', { done: 2 });
    off();
    ipc.emit(IPC.event, {}, 'job.progress', { done: 3 });
    ipc.emit(IPC.event, {}, 42, { done: 4 }); // malformed: ignored
    assert.deepEqual(progress, [{ done: 1 }, { done: 2 }]);
    assert.deepEqual(finished, []);

    const commands: MenuCommand[] = [];
    const offMenu = bridge.onMenu((c) => commands.push(c));
    ipc.emit(IPC.menu, {}, { command: 'undo' });
    offMenu();
    ipc.emit(IPC.menu, {}, { command: 'redo' });
    assert.deepEqual(commands, [{ command: 'undo' }]);

    // A failing listener does not stop the others.
    const seen: string[] = [];
    bridge.on('catalogue.changed', () => {
      throw new Error('listener bug');
    });
    bridge.on('catalogue.changed', () => seen.push('second'));
    const quiet = console.error;
    console.error = () => {};
    try {
      ipc.emit(IPC.event, {}, 'catalogue.changed', { areas: ['images'] });
    } finally {
      console.error = quiet;
    }
    assert.deepEqual(seen, ['second']);
    assert.throws(() => bridge.on('job.progress', 'not a function' as never), /needs a function/);
  });

  test('the folder dialog gets only its two string options', async () => {
    const { exposed, invoked } = loadPreload();
    const bridge = exposed.graft as GraftBridge;
    await bridge.pickFolder({ title: 'Import', buttonLabel: 'Import', properties: ['openFile'], defaultPath: '/etc' } as never);
    await bridge.pickFolder({ title: 42 } as never);
    // (Objects made inside the preload's context have that context's prototypes: compare as data.)
    assert.deepEqual(JSON.parse(JSON.stringify(invoked)), [[IPC.pickFolder, { title: 'Import', buttonLabel: 'Import' }], [IPC.pickFolder, {}]]);
  });

  test('dropped files give their path, or null for things not on disk', () => {
    const paths = new Map<unknown, string>([['file-a', '/photos/roses']]);
    const bridge = loadPreload({
      pathForFile: (f) => {
        if (f === 'broken') throw new TypeError('not a File');
        return paths.get(f) ?? '';
      },
    }).exposed.graft as GraftBridge;
    assert.equal(bridge.pathForFile('file-a'), '/photos/roses');
    assert.equal(bridge.pathForFile('in-memory'), null);
    assert.equal(bridge.pathForFile('broken'), null);
  });
});

describe('window security settings', () => {
  test('isolated, sandboxed, no Node in the page, no webviews, no insecure content', () => {
    const prefs = secureWebPreferences('/app/preload.js');
    assert.equal(prefs.preload, '/app/preload.js');
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInWorker, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.allowRunningInsecureContent, false);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.navigateOnDragDrop, false);
    const options = mainWindowOptions({ preload: '/p.js', dark: true });
    assert.equal(options.show, false, 'shown when ready, without a white flash');
    assert.deepEqual(options.webPreferences, secureWebPreferences('/p.js'));
    assert.equal(options.width, 1280);
    assert.equal(options.height, 800);
  });

  test('only the app origin counts as the app', () => {
    assert.equal(isAppUrl(APP_ENTRY), true);
    assert.equal(isAppUrl('graft://app/assets/index-1.js'), true);
    for (const url of ['graft://evil/index.html', 'file:///work/dist/renderer/index.html', 'https://app/', 'http://127.0.0.1:5173/', 'graft-image://thumb/1', 'not a url', '', null, undefined]) {
      assert.equal(isAppUrl(url), false, String(url));
    }
    assert.equal(isExternalLink('https://www.tensorflow.org/'), true);
    assert.equal(isExternalLink('file:///etc/passwd'), false);
    assert.equal(isExternalLink('javascript:alert(1)'), false);
    assert.equal(isExternalLink('smb://server/share'), false);
  });

  test('the page CSP allows scripts only from itself and images from graft-image:', () => {
    assert.match(APP_CSP, /default-src 'none'/);
    assert.match(APP_CSP, /script-src 'self';/);
    assert.match(APP_CSP, /img-src 'self' data: blob: graft-image:/);
    assert.doesNotMatch(APP_CSP, /unsafe-eval|https?:/);
  });
});

describe('menu', () => {
  const calls: string[] = [];
  const actions: MenuActions = {
    newProject: () => calls.push('new'),
    openProject: () => calls.push('open'),
    openRecent: (f) => calls.push(`recent:${f}`),
    clearRecent: () => calls.push('clear'),
    importFolder: () => calls.push('import'),
    showProjectInFolder: () => calls.push('show'),
    send: (c) => calls.push(`send:${c.command}`),
    about: () => calls.push('about'),
  };
  const find = (items: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions => {
    const item = items.find((i) => (i.label ?? '').replace(/&/g, '') === label);
    assert.ok(item, `menu item ${label}`);
    return item;
  };
  const click = (item: MenuItemConstructorOptions) => (item.click as () => void)();

  test('File, Edit and View hold what the desktop app promises, and click through to actions', () => {
    calls.length = 0;
    const menu = buildMenuTemplate({ platform: 'linux', recentProjects: ['/home/u/flowers.graft'], developer: false }, actions);
    const file = find(menu, 'File').submenu as MenuItemConstructorOptions[];
    click(find(file, 'New Project…'));
    click(find(file, 'Open Project…'));
    const recent = find(file, 'Open Recent').submenu as MenuItemConstructorOptions[];
    click(recent[0]);
    click(find(recent, 'Clear Recent Projects'));
    click(find(file, 'Import Folder…'));
    click(find(file, 'Export…'));
    const edit = find(menu, 'Edit').submenu as MenuItemConstructorOptions[];
    const undo = find(edit, 'Undo');
    click(undo);
    click(find(edit, 'Redo'));
    const view = find(menu, 'View').submenu as MenuItemConstructorOptions[];
    click(find(view, 'Larger Thumbnails'));
    assert.deepEqual(calls, ['new', 'open', 'recent:/home/u/flowers.graft', 'clear', 'import', 'send:export', 'send:undo', 'send:redo', 'send:thumbnails-larger']);
    // On Linux and Windows the page handles its own keys: the menu only shows them.
    assert.equal(undo.accelerator, 'CmdOrCtrl+Z');
    assert.equal(undo.registerAccelerator, false);
    assert.equal(find(file, 'Import Folder…').registerAccelerator, undefined, 'menu-only commands keep their keys');
    assert.ok(!view.some((i) => i.role === 'toggleDevTools'), 'no developer tools in the packaged app');
  });

  test('macOS gets the app menu, and the page keys go through the menu', () => {
    const menu = buildMenuTemplate({ platform: 'darwin', recentProjects: [], developer: true }, actions);
    assert.equal(menu[0].label, 'Graft');
    const file = find(menu, 'File').submenu as MenuItemConstructorOptions[];
    const recent = find(file, 'Open Recent').submenu as MenuItemConstructorOptions[];
    assert.equal(recent[0].enabled, false);
    const undo = find(find(menu, 'Edit').submenu as MenuItemConstructorOptions[], 'Undo');
    assert.equal(undo.registerAccelerator, true);
    assert.ok((find(menu, 'View').submenu as MenuItemConstructorOptions[]).some((i) => i.role === 'toggleDevTools'));
  });

  test('recent labels name the project first and escape mnemonics', () => {
    assert.match(recentLabel('/data/cats & dogs.graft'), /^cats && dogs — \/data$/);
  });
});

describe('remembered settings', () => {
  test('recent projects: newest first, no duplicates, at most ten', () => {
    let list: string[] = [];
    for (let i = 0; i < 12; i++) list = withRecent(list, `/p/${i}.graft`);
    list = withRecent(list, '/p/5.graft');
    assert.equal(list.length, MAX_RECENT);
    assert.equal(list[0], path.resolve('/p/5.graft'));
    assert.equal(list.filter((f) => f.endsWith('/5.graft')).length, 1);
    assert.ok(!list.includes(path.resolve('/p/0.graft')));
  });

  test('the store survives a restart, and a damaged file means defaults', () => {
    const tmp = tempDir('graft-settings-');
    try {
      const file = path.join(tmp.dir, 'nested', 'desktop-settings.json');
      const project = path.join(tmp.dir, 'a.graft');
      fs.writeFileSync(project, '');
      const store = new SettingsStore(file);
      store.addRecentProject(project);
      store.addRecentProject(path.join(tmp.dir, 'gone.graft'));
      store.setWindowState({ x: 10, y: 20, width: 1200, height: 700, maximized: true, fullScreen: false });
      const again = new SettingsStore(file);
      assert.deepEqual(again.settings.window, { x: 10, y: 20, width: 1200, height: 700, maximized: true, fullScreen: false });
      assert.deepEqual(again.recentProjects(), [project], 'projects whose file vanished are not offered');
      assert.deepEqual(fs.readdirSync(path.dirname(file)), ['desktop-settings.json'], 'no temporary files left');

      fs.writeFileSync(file, '{"window": {"x": "left"}, "recentProjects": 7');
      assert.deepEqual(readSettings(file), { recentProjects: [] });
      fs.writeFileSync(file, JSON.stringify({ window: { x: 0, y: 0, width: 5, height: 5 }, recentProjects: [] }));
      assert.equal(readSettings(file).window, undefined, 'a 5-pixel window is not restored');
    } finally {
      tmp.cleanup();
    }
  });

  test('a window saved on a monitor that is gone comes back on screen', () => {
    const laptop = { x: 0, y: 0, width: 1440, height: 900 };
    const external = { x: 1440, y: 0, width: 2560, height: 1440 };
    const onExternal = { x: 1600, y: 100, width: 1800, height: 1100 };
    assert.deepEqual(visibleBounds(onExternal, [laptop, external]), onExternal);
    assert.equal(visibleBounds(onExternal, [laptop]), undefined);
    assert.equal(visibleBounds(undefined, [laptop]), undefined);
    // Larger than the display now: shrunk to fit, title bar on screen.
    assert.deepEqual(visibleBounds({ x: -50, y: -10, width: 1600, height: 1000 }, [laptop]), { x: 0, y: 0, width: 1440, height: 900 });
  });
});

describe('launch arguments', () => {
  test('--project, --project=, or a bare .graft file; Chromium switches ignored', () => {
    assert.equal(projectFromArgs(['--project', 'a.graft'], '/home/u'), path.resolve('/home/u/a.graft'));
    assert.equal(projectFromArgs(['--no-sandbox', '--project=/x/b.graft']), '/x/b.graft');
    assert.equal(projectFromArgs(['--enable-logging', '/x/c.graft'], '/'), '/x/c.graft');
    assert.equal(projectFromArgs(['--enable-logging', 'notes.txt']), undefined);
    assert.equal(projectFromArgs([]), undefined);
  });
});

describe('custom protocols', () => {
  test('graft://app serves the renderer with the CSP, and nothing outside it', async () => {
    const tmp = tempDir('graft-protocol-');
    try {
      const dir = path.join(tmp.dir, 'renderer');
      fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Graft</title>');
      fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'export {}');
      fs.writeFileSync(path.join(tmp.dir, 'secret.txt'), 'secret');
      const page = await respondToAppRequest(dir, 'graft://app/index.html');
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('content-security-policy'), APP_CSP);
      assert.match(await page.text(), /<title>Graft/);
      const script = await respondToAppRequest(dir, 'graft://app/assets/app.js');
      assert.match(String(script.headers.get('content-type')), /javascript/);
      for (const url of ['graft://app/../secret.txt', 'graft://app/%2e%2e/secret.txt', 'graft://app/assets/..%2f..%2fsecret.txt', 'graft://other/index.html', 'graft://app/nope.js', '::']) {
        const res = await respondToAppRequest(dir, url);
        assert.equal(res.status, 404, url);
      }
      const unbuilt = await respondToAppRequest(path.join(tmp.dir, 'empty'), 'graft://app/index.html');
      assert.equal(unbuilt.status, 503);
      assert.match(await unbuilt.text(), /npm run build:renderer/);
    } finally {
      tmp.cleanup();
    }
  });

  test('graft-image refuses malformed ids and answers plainly with no project', async () => {
    assert.equal((await respondToImageRequest(null, 'graft-image://thumb/abc')).status, 400);
    assert.equal((await respondToImageRequest(null, 'graft-image://thumb/12')).status, 409);
    assert.equal((await respondToImageRequest(null, 'graft-image://other/12')).status, 404);
    assert.equal((await respondToImageRequest(null, 'graft://thumb/12')).status, 404);
  });
});

describe('SQLite for Electron in a checkout', () => {
  test('uses the Electron build when it exists and explains how to get it when not', () => {
    const tmp = tempDir('graft-native-');
    const saved = process.env[SQLITE_BINDING_ENV];
    try {
      delete process.env[SQLITE_BINDING_ENV];
      assert.equal(configureSqliteForElectron({ packaged: true, repoRoot: tmp.dir, electronVersion: '38.8.6' }), null);
      const message = configureSqliteForElectron({ packaged: false, repoRoot: tmp.dir, electronVersion: '38.8.6' });
      assert.match(String(message), /npm start/);
      const binding = electronSqliteBinding(electronNativeDir(tmp.dir, '38.8.6'));
      fs.mkdirSync(path.dirname(binding), { recursive: true });
      fs.writeFileSync(binding, '');
      assert.equal(configureSqliteForElectron({ packaged: false, repoRoot: tmp.dir, electronVersion: '38.8.6' }), null);
      assert.equal(process.env[SQLITE_BINDING_ENV], binding);
      assert.match(binding, /electron-38\.8\.6-/);
    } finally {
      if (saved === undefined) delete process.env[SQLITE_BINDING_ENV];
      else process.env[SQLITE_BINDING_ENV] = saved;
      tmp.cleanup();
    }
  });
});
